;; The circular cross-correlation of two real signals by FFT, and its largest value over a range of lags, as a
;; WebAssembly SIMD kernel (one complex number per f64x2 vector): ViSQOL's fine alignment runs it for every
;; matched patch. Compiled by scripts/build-wasm.mjs into cross-correlation-wasm.ts.
;;
;; Both signals go into one complex transform of size $n (a as the real part, b as the imaginary part); the
;; product A conj(B) is formed from its bins k and n - k, and turned back into the real correlation by one
;; complex transform of size n / 2 (even samples as the real part, odd ones as the imaginary part). Values
;; come out scaled by 8 n / 2 = 4 n against the plain sum_m a[m + lag] b[m].
;;
;; No pass reorders data: the forward transform is decimation in frequency (natural order in, bit-reversed
;; out), the inverse one decimation in time (bit-reversed in, natural order out), and the pass between them
;; reads and writes bit-reversed order. Each transform pass fuses two radix-2 stages (radix 4). The signals fill
;; at most half the transform, so the first pass reads them directly and skips the zero half; the spectrum
;; product, the unpacking of the real inverse and the inverse's first stage are one pass too.
;;
;; Memory, laid out by cross-correlation.ts (byte offsets passed in):
;;   $a, $b: the signals, f64, zero-padded to $n / 2 values;
;;   $data: $n complex values (16 bytes each), the first transform; $half: $n / 2 complex values, the second;
;;   $twiddles: per block size m = 4, 8, ..., $n, at $twiddles + 96 (m / 4 - 1), per j < m / 4 the factors
;;     w^j, w^2j, w^3j of w = e^(-2 pi i / m), each as two f64x2 (cos t, cos t), (sin t, -sin t);
;;   $bitReversed: i32 per index below $n / 4, its log2 $n bits reversed;
;;   $result: out, two f64: the largest correlation value and the largest of all the others.
(module
  (import "env" "memory" (memory 1))

  ;; The first radix-4 pass of the forward transform of z = a + i b (block size $n), read from the signals.
  ;; Its inputs z[j + n/2] and z[j + 3n/4] are zero padding.
  (func $forwardFirstPass (param $a i32) (param $b i32) (param $data i32) (param $n i32) (param $twiddles i32)
    (local $q i32) (local $at i32) (local $end i32) (local $p i32) (local $w i32)
    (local $x0 v128) (local $x1 v128) (local $e v128) (local $y v128)
    (local.set $q (i32.shl (local.get $n) (i32.const 2)))
    (local.set $end (i32.shl (local.get $n) (i32.const 1)))
    (local.set $p (local.get $data))
    (local.set $w (i32.sub (i32.add (local.get $twiddles) (i32.mul (local.get $n) (i32.const 24))) (i32.const 96)))
    (loop $butterflies
      (local.set $x0 (f64x2.replace_lane 1
        (f64x2.splat (f64.load (i32.add (local.get $a) (local.get $at))))
        (f64.load (i32.add (local.get $b) (local.get $at)))))
      (local.set $x1 (f64x2.replace_lane 1
        (f64x2.splat (f64.load (i32.add (local.get $a) (i32.add (local.get $at) (local.get $end)))))
        (f64.load (i32.add (local.get $b) (i32.add (local.get $at) (local.get $end))))))
      (v128.store (local.get $p) (f64x2.add (local.get $x0) (local.get $x1)))
      ;; -i x1: (im, -re)
      (local.set $e (v128.xor
        (i8x16.shuffle 8 9 10 11 12 13 14 15 0 1 2 3 4 5 6 7 (local.get $x1) (local.get $x1))
        (v128.const f64x2 0 -0)))
      ;; y w: y (cos, cos) + swap(y) (sin, -sin), w = cos - i sin
      (local.set $y (f64x2.sub (local.get $x0) (local.get $x1)))
      (v128.store (i32.add (local.get $p) (local.get $q)) (f64x2.add
        (f64x2.mul (local.get $y) (v128.load offset=32 (local.get $w)))
        (f64x2.mul (i8x16.shuffle 8 9 10 11 12 13 14 15 0 1 2 3 4 5 6 7 (local.get $y) (local.get $y)) (v128.load offset=48 (local.get $w)))))
      (local.set $y (f64x2.add (local.get $x0) (local.get $e)))
      (v128.store (i32.add (local.get $p) (i32.shl (local.get $q) (i32.const 1))) (f64x2.add
        (f64x2.mul (local.get $y) (v128.load (local.get $w)))
        (f64x2.mul (i8x16.shuffle 8 9 10 11 12 13 14 15 0 1 2 3 4 5 6 7 (local.get $y) (local.get $y)) (v128.load offset=16 (local.get $w)))))
      (local.set $y (f64x2.sub (local.get $x0) (local.get $e)))
      (v128.store (i32.add (local.get $p) (i32.mul (local.get $q) (i32.const 3))) (f64x2.add
        (f64x2.mul (local.get $y) (v128.load offset=64 (local.get $w)))
        (f64x2.mul (i8x16.shuffle 8 9 10 11 12 13 14 15 0 1 2 3 4 5 6 7 (local.get $y) (local.get $y)) (v128.load offset=80 (local.get $w)))))
      (local.set $w (i32.add (local.get $w) (i32.const 96)))
      (local.set $p (i32.add (local.get $p) (i32.const 16)))
      (local.set $at (i32.add (local.get $at) (i32.const 8)))
      (br_if $butterflies (i32.lt_u (local.get $at) (local.get $end)))))

  ;; One radix-4 decimation-in-frequency pass over blocks of $m complex values (m >= 8) from $data to $end.
  (func $forwardPass (param $data i32) (param $end i32) (param $m i32) (param $twiddles i32)
    (local $q i32) (local $table i32) (local $block i32) (local $p i32) (local $stop i32) (local $w i32)
    (local $x0 v128) (local $x1 v128) (local $x2 v128) (local $x3 v128)
    (local $a0 v128) (local $a1 v128) (local $d0 v128) (local $e v128) (local $y v128)
    (local.set $q (i32.shl (local.get $m) (i32.const 2)))
    (local.set $table (i32.sub (i32.add (local.get $twiddles) (i32.mul (local.get $m) (i32.const 24))) (i32.const 96)))
    (local.set $block (local.get $data))
    (loop $blocks
      (local.set $p (local.get $block))
      (local.set $stop (i32.add (local.get $block) (local.get $q)))
      (local.set $w (local.get $table))
      (loop $butterflies
        (local.set $x0 (v128.load (local.get $p)))
        (local.set $x1 (v128.load (i32.add (local.get $p) (local.get $q))))
        (local.set $x2 (v128.load (i32.add (local.get $p) (i32.shl (local.get $q) (i32.const 1)))))
        (local.set $x3 (v128.load (i32.add (local.get $p) (i32.mul (local.get $q) (i32.const 3)))))
        (local.set $a0 (f64x2.add (local.get $x0) (local.get $x2)))
        (local.set $a1 (f64x2.add (local.get $x1) (local.get $x3)))
        (local.set $d0 (f64x2.sub (local.get $x0) (local.get $x2)))
        (local.set $e (f64x2.sub (local.get $x1) (local.get $x3)))
        (local.set $e (v128.xor
          (i8x16.shuffle 8 9 10 11 12 13 14 15 0 1 2 3 4 5 6 7 (local.get $e) (local.get $e))
          (v128.const f64x2 0 -0)))
        (v128.store (local.get $p) (f64x2.add (local.get $a0) (local.get $a1)))
        (local.set $y (f64x2.sub (local.get $a0) (local.get $a1)))
        (v128.store (i32.add (local.get $p) (local.get $q)) (f64x2.add
          (f64x2.mul (local.get $y) (v128.load offset=32 (local.get $w)))
          (f64x2.mul (i8x16.shuffle 8 9 10 11 12 13 14 15 0 1 2 3 4 5 6 7 (local.get $y) (local.get $y)) (v128.load offset=48 (local.get $w)))))
        (local.set $y (f64x2.add (local.get $d0) (local.get $e)))
        (v128.store (i32.add (local.get $p) (i32.shl (local.get $q) (i32.const 1))) (f64x2.add
          (f64x2.mul (local.get $y) (v128.load (local.get $w)))
          (f64x2.mul (i8x16.shuffle 8 9 10 11 12 13 14 15 0 1 2 3 4 5 6 7 (local.get $y) (local.get $y)) (v128.load offset=16 (local.get $w)))))
        (local.set $y (f64x2.sub (local.get $d0) (local.get $e)))
        (v128.store (i32.add (local.get $p) (i32.mul (local.get $q) (i32.const 3))) (f64x2.add
          (f64x2.mul (local.get $y) (v128.load offset=64 (local.get $w)))
          (f64x2.mul (i8x16.shuffle 8 9 10 11 12 13 14 15 0 1 2 3 4 5 6 7 (local.get $y) (local.get $y)) (v128.load offset=80 (local.get $w)))))
        (local.set $w (i32.add (local.get $w) (i32.const 96)))
        (local.set $p (i32.add (local.get $p) (i32.const 16)))
        (br_if $butterflies (i32.lt_u (local.get $p) (local.get $stop))))
      (local.set $block (i32.add (local.get $block) (i32.shl (local.get $q) (i32.const 2))))
      (br_if $blocks (i32.lt_u (local.get $block) (local.get $end)))))

  ;; The forward transform's last pass, whose twiddles are 1 and -i: radix 4 when $m is 4, radix 2 when it is 2.
  (func $forwardLastPass (param $data i32) (param $end i32) (param $m i32)
    (local $p i32) (local $x0 v128) (local $x1 v128) (local $a0 v128) (local $a1 v128) (local $d0 v128) (local $e v128)
    (local.set $p (local.get $data))
    (if (i32.eq (local.get $m) (i32.const 2))
      (then
        (loop $pairs
          (local.set $x0 (v128.load (local.get $p)))
          (local.set $x1 (v128.load offset=16 (local.get $p)))
          (v128.store (local.get $p) (f64x2.add (local.get $x0) (local.get $x1)))
          (v128.store offset=16 (local.get $p) (f64x2.sub (local.get $x0) (local.get $x1)))
          (local.set $p (i32.add (local.get $p) (i32.const 32)))
          (br_if $pairs (i32.lt_u (local.get $p) (local.get $end)))))
      (else
        (loop $quads
          (local.set $x0 (v128.load (local.get $p)))
          (local.set $x1 (v128.load offset=32 (local.get $p)))
          (local.set $a0 (f64x2.add (local.get $x0) (local.get $x1)))
          (local.set $d0 (f64x2.sub (local.get $x0) (local.get $x1)))
          (local.set $x0 (v128.load offset=16 (local.get $p)))
          (local.set $x1 (v128.load offset=48 (local.get $p)))
          (local.set $a1 (f64x2.add (local.get $x0) (local.get $x1)))
          (local.set $e (f64x2.sub (local.get $x0) (local.get $x1)))
          (local.set $e (v128.xor
            (i8x16.shuffle 8 9 10 11 12 13 14 15 0 1 2 3 4 5 6 7 (local.get $e) (local.get $e))
            (v128.const f64x2 0 -0)))
          (v128.store (local.get $p) (f64x2.add (local.get $a0) (local.get $a1)))
          (v128.store offset=16 (local.get $p) (f64x2.sub (local.get $a0) (local.get $a1)))
          (v128.store offset=32 (local.get $p) (f64x2.add (local.get $d0) (local.get $e)))
          (v128.store offset=48 (local.get $p) (f64x2.sub (local.get $d0) (local.get $e)))
          (local.set $p (i32.add (local.get $p) (i32.const 64)))
          (br_if $quads (i32.lt_u (local.get $p) (local.get $end)))))))

  ;; One radix-4 decimation-in-time pass over blocks of $m complex values (m >= 8) from $data to $end.
  (func $inversePass (param $data i32) (param $end i32) (param $m i32) (param $twiddles i32)
    (local $q i32) (local $table i32) (local $block i32) (local $p i32) (local $stop i32) (local $w i32)
    (local $x0 v128) (local $x1 v128) (local $x2 v128) (local $x3 v128) (local $b0 v128) (local $b1 v128) (local $c0 v128) (local $e v128)
    (local.set $q (i32.shl (local.get $m) (i32.const 2)))
    (local.set $table (i32.sub (i32.add (local.get $twiddles) (i32.mul (local.get $m) (i32.const 24))) (i32.const 96)))
    (local.set $block (local.get $data))
    (loop $blocks
      (local.set $p (local.get $block))
      (local.set $stop (i32.add (local.get $block) (local.get $q)))
      (local.set $w (local.get $table))
      (loop $butterflies
        (local.set $x0 (v128.load (local.get $p)))
        (local.set $x1 (v128.load (i32.add (local.get $p) (local.get $q))))
        (local.set $x2 (v128.load (i32.add (local.get $p) (i32.shl (local.get $q) (i32.const 1)))))
        (local.set $x3 (v128.load (i32.add (local.get $p) (i32.mul (local.get $q) (i32.const 3)))))
        (local.set $x1 (f64x2.add
          (f64x2.mul (local.get $x1) (v128.load offset=32 (local.get $w)))
          (f64x2.mul (i8x16.shuffle 8 9 10 11 12 13 14 15 0 1 2 3 4 5 6 7 (local.get $x1) (local.get $x1)) (v128.load offset=48 (local.get $w)))))
        (local.set $x2 (f64x2.add
          (f64x2.mul (local.get $x2) (v128.load (local.get $w)))
          (f64x2.mul (i8x16.shuffle 8 9 10 11 12 13 14 15 0 1 2 3 4 5 6 7 (local.get $x2) (local.get $x2)) (v128.load offset=16 (local.get $w)))))
        (local.set $x3 (f64x2.add
          (f64x2.mul (local.get $x3) (v128.load offset=64 (local.get $w)))
          (f64x2.mul (i8x16.shuffle 8 9 10 11 12 13 14 15 0 1 2 3 4 5 6 7 (local.get $x3) (local.get $x3)) (v128.load offset=80 (local.get $w)))))
        (local.set $b0 (f64x2.add (local.get $x0) (local.get $x1)))
        (local.set $b1 (f64x2.sub (local.get $x0) (local.get $x1)))
        (local.set $c0 (f64x2.add (local.get $x2) (local.get $x3)))
        (local.set $e (f64x2.sub (local.get $x2) (local.get $x3)))
        (local.set $e (v128.xor
          (i8x16.shuffle 8 9 10 11 12 13 14 15 0 1 2 3 4 5 6 7 (local.get $e) (local.get $e))
          (v128.const f64x2 0 -0)))
        (v128.store (local.get $p) (f64x2.add (local.get $b0) (local.get $c0)))
        (v128.store (i32.add (local.get $p) (local.get $q)) (f64x2.add (local.get $b1) (local.get $e)))
        (v128.store (i32.add (local.get $p) (i32.shl (local.get $q) (i32.const 1))) (f64x2.sub (local.get $b0) (local.get $c0)))
        (v128.store (i32.add (local.get $p) (i32.mul (local.get $q) (i32.const 3))) (f64x2.sub (local.get $b1) (local.get $e)))
        (local.set $w (i32.add (local.get $w) (i32.const 96)))
        (local.set $p (i32.add (local.get $p) (i32.const 16)))
        (br_if $butterflies (i32.lt_u (local.get $p) (local.get $stop))))
      (local.set $block (i32.add (local.get $block) (i32.shl (local.get $q) (i32.const 2))))
      (br_if $blocks (i32.lt_u (local.get $block) (local.get $end)))))

  ;; The inverse transform's radix-4 pass over blocks of 8 values: the general pass with its two butterflies
  ;; per block written out, the first one's twiddles being 1.
  (func $inverseEights (param $data i32) (param $end i32) (param $twiddles i32)
    (local $p i32) (local $cos1 v128) (local $sin1 v128) (local $cos2 v128) (local $sin2 v128) (local $cos3 v128) (local $sin3 v128)
    (local $x0 v128) (local $x1 v128) (local $x2 v128) (local $x3 v128) (local $b0 v128) (local $b1 v128) (local $c0 v128) (local $e v128)
    (local.set $cos1 (v128.load offset=192 (local.get $twiddles)))
    (local.set $sin1 (v128.load offset=208 (local.get $twiddles)))
    (local.set $cos2 (v128.load offset=224 (local.get $twiddles)))
    (local.set $sin2 (v128.load offset=240 (local.get $twiddles)))
    (local.set $cos3 (v128.load offset=256 (local.get $twiddles)))
    (local.set $sin3 (v128.load offset=272 (local.get $twiddles)))
    (local.set $p (local.get $data))
    (loop $blocks
      (local.set $x0 (v128.load (local.get $p)))
      (local.set $x1 (v128.load offset=32 (local.get $p)))
      (local.set $x2 (v128.load offset=64 (local.get $p)))
      (local.set $x3 (v128.load offset=96 (local.get $p)))
      (local.set $b0 (f64x2.add (local.get $x0) (local.get $x1)))
      (local.set $b1 (f64x2.sub (local.get $x0) (local.get $x1)))
      (local.set $c0 (f64x2.add (local.get $x2) (local.get $x3)))
      (local.set $e (f64x2.sub (local.get $x2) (local.get $x3)))
      (local.set $e (v128.xor
        (i8x16.shuffle 8 9 10 11 12 13 14 15 0 1 2 3 4 5 6 7 (local.get $e) (local.get $e))
        (v128.const f64x2 0 -0)))
      (v128.store (local.get $p) (f64x2.add (local.get $b0) (local.get $c0)))
      (v128.store offset=32 (local.get $p) (f64x2.add (local.get $b1) (local.get $e)))
      (v128.store offset=64 (local.get $p) (f64x2.sub (local.get $b0) (local.get $c0)))
      (v128.store offset=96 (local.get $p) (f64x2.sub (local.get $b1) (local.get $e)))
      (local.set $x0 (v128.load offset=16 (local.get $p)))
      (local.set $x1 (v128.load offset=48 (local.get $p)))
      (local.set $x2 (v128.load offset=80 (local.get $p)))
      (local.set $x3 (v128.load offset=112 (local.get $p)))
      (local.set $x1 (f64x2.add
        (f64x2.mul (local.get $x1) (local.get $cos2))
        (f64x2.mul (i8x16.shuffle 8 9 10 11 12 13 14 15 0 1 2 3 4 5 6 7 (local.get $x1) (local.get $x1)) (local.get $sin2))))
      (local.set $x2 (f64x2.add
        (f64x2.mul (local.get $x2) (local.get $cos1))
        (f64x2.mul (i8x16.shuffle 8 9 10 11 12 13 14 15 0 1 2 3 4 5 6 7 (local.get $x2) (local.get $x2)) (local.get $sin1))))
      (local.set $x3 (f64x2.add
        (f64x2.mul (local.get $x3) (local.get $cos3))
        (f64x2.mul (i8x16.shuffle 8 9 10 11 12 13 14 15 0 1 2 3 4 5 6 7 (local.get $x3) (local.get $x3)) (local.get $sin3))))
      (local.set $b0 (f64x2.add (local.get $x0) (local.get $x1)))
      (local.set $b1 (f64x2.sub (local.get $x0) (local.get $x1)))
      (local.set $c0 (f64x2.add (local.get $x2) (local.get $x3)))
      (local.set $e (f64x2.sub (local.get $x2) (local.get $x3)))
      (local.set $e (v128.xor
        (i8x16.shuffle 8 9 10 11 12 13 14 15 0 1 2 3 4 5 6 7 (local.get $e) (local.get $e))
        (v128.const f64x2 0 -0)))
      (v128.store offset=16 (local.get $p) (f64x2.add (local.get $b0) (local.get $c0)))
      (v128.store offset=48 (local.get $p) (f64x2.add (local.get $b1) (local.get $e)))
      (v128.store offset=80 (local.get $p) (f64x2.sub (local.get $b0) (local.get $c0)))
      (v128.store offset=112 (local.get $p) (f64x2.sub (local.get $b1) (local.get $e)))
      (local.set $p (i32.add (local.get $p) (i32.const 128)))
      (br_if $blocks (i32.lt_u (local.get $p) (local.get $end)))))

  ;; The inverse transform's last stage when an odd number of stages is left after its first: radix 2 over the
  ;; whole of $m values, j and j + m/4 at once (w^(j + m/4) = -i w^j).
  (func $inverseLastRadix2 (param $data i32) (param $m i32) (param $twiddles i32)
    (local $h i32) (local $q i32) (local $p i32) (local $stop i32) (local $w i32) (local $x v128) (local $t v128)
    (local.set $h (i32.shl (local.get $m) (i32.const 3)))
    (local.set $q (i32.shl (local.get $m) (i32.const 2)))
    (local.set $p (local.get $data))
    (local.set $stop (i32.add (local.get $data) (local.get $q)))
    (local.set $w (i32.sub (i32.add (local.get $twiddles) (i32.mul (local.get $m) (i32.const 24))) (i32.const 96)))
    (loop $butterflies
      (local.set $t (v128.load (i32.add (local.get $p) (local.get $h))))
      (local.set $t (f64x2.add
        (f64x2.mul (local.get $t) (v128.load (local.get $w)))
        (f64x2.mul (i8x16.shuffle 8 9 10 11 12 13 14 15 0 1 2 3 4 5 6 7 (local.get $t) (local.get $t)) (v128.load offset=16 (local.get $w)))))
      (local.set $x (v128.load (local.get $p)))
      (v128.store (local.get $p) (f64x2.add (local.get $x) (local.get $t)))
      (v128.store (i32.add (local.get $p) (local.get $h)) (f64x2.sub (local.get $x) (local.get $t)))
      (local.set $t (v128.load (i32.add (local.get $p) (i32.add (local.get $h) (local.get $q)))))
      (local.set $t (f64x2.add
        (f64x2.mul (local.get $t) (v128.load (local.get $w)))
        (f64x2.mul (i8x16.shuffle 8 9 10 11 12 13 14 15 0 1 2 3 4 5 6 7 (local.get $t) (local.get $t)) (v128.load offset=16 (local.get $w)))))
      (local.set $t (v128.xor
        (i8x16.shuffle 8 9 10 11 12 13 14 15 0 1 2 3 4 5 6 7 (local.get $t) (local.get $t))
        (v128.const f64x2 0 -0)))
      (local.set $x (v128.load (i32.add (local.get $p) (local.get $q))))
      (v128.store (i32.add (local.get $p) (local.get $q)) (f64x2.add (local.get $x) (local.get $t)))
      (v128.store (i32.add (local.get $p) (i32.add (local.get $h) (local.get $q))) (f64x2.sub (local.get $x) (local.get $t)))
      (local.set $w (i32.add (local.get $w) (i32.const 96)))
      (local.set $p (i32.add (local.get $p) (i32.const 16)))
      (br_if $butterflies (i32.lt_u (local.get $p) (local.get $stop)))))

  ;; Writes the largest correlation value over lags -$maxLag..$maxLag and the largest of the others to $result
  ;; (the inverse transform's output at $half: sample m is value m / 2's real part for even m, minus its
  ;; imaginary part for odd m); returns the first lag, from the most negative, of that largest value.
  ;; Indices i run from n - maxLag to n + maxLag (lag i - n, sample i mod n), as pairs of even and odd samples.
  (func $peak (param $half i32) (param $n i32) (param $maxLag i32) (param $result i32) (result i32)
    (local $mask i32) (local $i i32) (local $start i32) (local $stop i32) (local $pairsEnd i32)
    (local $x v128) (local $a1 v128) (local $a2 v128) (local $b1 v128) (local $b2 v128) (local $best f64)
    (local.set $mask (i32.sub (local.get $n) (i32.const 1)))
    (local.set $start (i32.sub (local.get $n) (local.get $maxLag)))
    (local.set $stop (i32.add (i32.add (local.get $n) (local.get $maxLag)) (i32.const 1)))
    (local.set $pairsEnd (i32.and (local.get $stop) (i32.const -2)))
    ;; The two largest values in each lane of two accumulator pairs (a, b): largest 1, next 2.
    (local.set $a1 (v128.const f64x2 -inf -inf))
    (local.set $a2 (local.get $a1))
    (local.set $b1 (local.get $a1))
    (local.set $b2 (local.get $a1))
    (local.set $i (local.get $start))
    (if (i32.and (local.get $i) (i32.const 1))
      (then
        (local.set $x (f64x2.replace_lane 0 (local.get $a1)
          (f64.neg (f64.load (i32.add (local.get $half) (i32.shl (i32.and (local.get $i) (local.get $mask)) (i32.const 3)))))))
        (local.set $a2 (f64x2.pmax (local.get $a2) (f64x2.pmin (local.get $a1) (local.get $x))))
        (local.set $a1 (f64x2.pmax (local.get $a1) (local.get $x)))
        (local.set $i (i32.add (local.get $i) (i32.const 1)))))
    (if (i32.and (local.get $stop) (i32.const 1))
      (then
        (local.set $x (f64x2.replace_lane 0 (local.get $b1)
          (f64.load (i32.add (local.get $half) (i32.shl (i32.and (local.get $pairsEnd) (local.get $mask)) (i32.const 3))))))
        (local.set $b2 (f64x2.pmax (local.get $b2) (f64x2.pmin (local.get $b1) (local.get $x))))
        (local.set $b1 (f64x2.pmax (local.get $b1) (local.get $x)))))
    (block $pairsDone
      (loop $pairs
        (br_if $pairsDone (i32.gt_u (i32.add (local.get $i) (i32.const 4)) (local.get $pairsEnd)))
        (local.set $x (v128.xor (v128.load (i32.add (local.get $half) (i32.shl (i32.and (local.get $i) (local.get $mask)) (i32.const 3)))) (v128.const f64x2 0 -0)))
        (local.set $a2 (f64x2.pmax (local.get $a2) (f64x2.pmin (local.get $a1) (local.get $x))))
        (local.set $a1 (f64x2.pmax (local.get $a1) (local.get $x)))
        (local.set $i (i32.add (local.get $i) (i32.const 2)))
        (local.set $x (v128.xor (v128.load (i32.add (local.get $half) (i32.shl (i32.and (local.get $i) (local.get $mask)) (i32.const 3)))) (v128.const f64x2 0 -0)))
        (local.set $b2 (f64x2.pmax (local.get $b2) (f64x2.pmin (local.get $b1) (local.get $x))))
        (local.set $b1 (f64x2.pmax (local.get $b1) (local.get $x)))
        (local.set $i (i32.add (local.get $i) (i32.const 2)))
        (br $pairs)))
    (if (i32.lt_u (local.get $i) (local.get $pairsEnd))
      (then
        (local.set $x (v128.xor (v128.load (i32.add (local.get $half) (i32.shl (i32.and (local.get $i) (local.get $mask)) (i32.const 3)))) (v128.const f64x2 0 -0)))
        (local.set $a2 (f64x2.pmax (local.get $a2) (f64x2.pmin (local.get $a1) (local.get $x))))
        (local.set $a1 (f64x2.pmax (local.get $a1) (local.get $x)))))
    (local.set $a2 (f64x2.pmax (f64x2.pmax (local.get $a2) (local.get $b2)) (f64x2.pmin (local.get $a1) (local.get $b1))))
    (local.set $a1 (f64x2.pmax (local.get $a1) (local.get $b1)))
    (local.set $best (f64.max (f64x2.extract_lane 0 (local.get $a1)) (f64x2.extract_lane 1 (local.get $a1))))
    (f64.store (local.get $result) (local.get $best))
    (f64.store offset=8 (local.get $result) (f64.max
      (f64.max (f64x2.extract_lane 0 (local.get $a2)) (f64x2.extract_lane 1 (local.get $a2)))
      (f64.min (f64x2.extract_lane 0 (local.get $a1)) (f64x2.extract_lane 1 (local.get $a1)))))

    ;; The first index holding the largest value (none if it is -inf, as it is for NaN input: lag 0).
    (local.set $i (local.get $start))
    (if (i32.and (local.get $i) (i32.const 1))
      (then
        (if (f64.eq (local.get $best)
              (f64.neg (f64.load (i32.add (local.get $half) (i32.shl (i32.and (local.get $i) (local.get $mask)) (i32.const 3))))))
          (then (return (i32.sub (local.get $i) (local.get $n)))))
        (local.set $i (i32.add (local.get $i) (i32.const 1)))))
    (block $scanned
      (loop $scan
        (br_if $scanned (i32.ge_u (local.get $i) (local.get $pairsEnd)))
        (local.set $x (v128.xor (v128.load (i32.add (local.get $half) (i32.shl (i32.and (local.get $i) (local.get $mask)) (i32.const 3)))) (v128.const f64x2 0 -0)))
        (if (v128.any_true (f64x2.eq (local.get $x) (f64x2.splat (local.get $best))))
          (then
            (return (i32.sub
              (select (local.get $i) (i32.add (local.get $i) (i32.const 1))
                (f64.eq (f64x2.extract_lane 0 (local.get $x)) (local.get $best)))
              (local.get $n)))))
        (local.set $i (i32.add (local.get $i) (i32.const 2)))
        (br $scan)))
    (if (i32.and (local.get $stop) (i32.const 1))
      (then
        (if (f64.eq (local.get $best)
              (f64.load (i32.add (local.get $half) (i32.shl (i32.and (local.get $pairsEnd) (local.get $mask)) (i32.const 3)))))
          (then (return (i32.sub (local.get $pairsEnd) (local.get $n)))))))
    (i32.const 0))

  ;; The peak of the correlation of the signals at $a and $b (see $peak); $n is a power of two, at least 8.
  (func (export "correlate")
    (param $a i32) (param $b i32) (param $n i32) (param $maxLag i32)
    (param $data i32) (param $half i32) (param $twiddles i32) (param $bitReversed i32) (param $result i32)
    (result i32)
    (local $m i32) (local $k i32) (local $at i32) (local $g i32) (local $h i32) (local $w i32)
    (local $index i32)
    (local $g0 v128) (local $g1 v128) (local $g2 v128) (local $g3 v128) (local $h0 v128) (local $h1 v128) (local $h2 v128) (local $h3 v128)
    (local $p v128) (local $mirror v128) (local $even v128) (local $diff v128) (local $cos v128) (local $sin v128)
    (local $upper v128) (local $lower v128) (local $evenHalf v128) (local $diffHalf v128) (local $u v128) (local $x v128)
    (call $forwardFirstPass (local.get $a) (local.get $b) (local.get $data) (local.get $n) (local.get $twiddles))
    (local.set $m (i32.shr_u (local.get $n) (i32.const 2)))
    (block $forwardDone
      (loop $passes
        (br_if $forwardDone (i32.lt_u (local.get $m) (i32.const 8)))
        (call $forwardPass (local.get $data) (i32.add (local.get $data) (i32.shl (local.get $n) (i32.const 4))) (local.get $m) (local.get $twiddles))
        (local.set $m (i32.shr_u (local.get $m) (i32.const 2)))
        (br $passes)))
    (call $forwardLastPass (local.get $data) (i32.add (local.get $data) (i32.shl (local.get $n) (i32.const 4))) (local.get $m))

    ;; For k = 0..n/8: bins k + t n/4 and -k + t n/4 (t = 0..3), two groups of four adjacent values in
    ;; bit-reversed order, give the products P = f(Z[j], Z[n - j]) = 4 A[j] conj(B[j]) at j = k, N - k, N/2 + k
    ;; and N/2 - k (N = n/2), and those the inverse's input at the same four bins: 2 packed[j] = (P[j] + E) +
    ;; i (P[j] - E) e^{2 pi i j / n}, E = conj(P[N - j]), stored conjugated (so that the forward transform gives
    ;; the conjugate of the inverse one) and through the inverse's first radix-2 stage, which pairs bins j and
    ;; j + N/2. With e = P[k] + conj(P[N - k]) and D = (P[k] - conj(P[N - k])) e^{2 pi i k / n}: packed'[k] =
    ;; conj(e + i D), packed'[N - k] = e - i D; likewise with e', D' from P[N/2 + k], P[N/2 - k]:
    ;; packed'[N/2 + k] = conj(e' - D'), packed'[N/2 - k] = e' + D'.
    ;; f(z, m): 2 A = z + conj(m), 2 B = -i (z - conj(m)), so P = u v with u = z + conj(m), v = i x,
    ;; x = conj(z) - m: P = swap(u) (x.re, x.re) (-1, 1) - u (x.im, x.im).
    ;; At k = 0 the mirror group is the group itself, its bins in another order; its mirror stores are
    ;; overwritten by its own.
    (local.set $k (i32.const 0))
    (loop $spectrum
      (local.set $at (i32.load (i32.add (local.get $bitReversed) (i32.shl (local.get $k) (i32.const 2)))))
      (local.set $g (i32.add (local.get $data) (i32.shl (local.get $at) (i32.const 4))))
      (local.set $g0 (v128.load (local.get $g)))
      (local.set $g1 (v128.load offset=16 (local.get $g)))
      (local.set $g2 (v128.load offset=32 (local.get $g)))
      (local.set $g3 (v128.load offset=48 (local.get $g)))
      (if (local.get $k)
        (then
          (local.set $index (i32.load (i32.add (local.get $bitReversed)
            (i32.shl (i32.sub (i32.shr_u (local.get $n) (i32.const 2)) (local.get $k)) (i32.const 2)))))
          (local.set $h (i32.add (local.get $data) (i32.shl (local.get $index) (i32.const 4))))
          (local.set $h0 (v128.load (local.get $h)))
          (local.set $h1 (v128.load offset=16 (local.get $h)))
          (local.set $h2 (v128.load offset=32 (local.get $h)))
          (local.set $h3 (v128.load offset=48 (local.get $h))))
        (else
          (local.set $index (local.get $at))
          (local.set $h0 (local.get $g2))
          (local.set $h1 (local.get $g3))
          (local.set $h2 (local.get $g1))
          (local.set $h3 (local.get $g0))))
      (local.set $w (i32.add (i32.sub (i32.add (local.get $twiddles) (i32.mul (local.get $n) (i32.const 24))) (i32.const 96))
        (i32.mul (local.get $k) (i32.const 96))))
      (local.set $cos (v128.load (local.get $w)))
      (local.set $sin (v128.load offset=16 (local.get $w)))
      ;; e, D from P[k] = f(Z[k], Z[n - k]) and P[N - k] = f(Z[N - k], Z[N + k]); D = diff (cos + i sin),
      ;; the table's (cos, cos) and (sin, -sin) of angle 2 pi k / n.
      (local.set $u (f64x2.add (local.get $g0) (v128.xor (local.get $h3) (v128.const f64x2 0 -0))))
      (local.set $x (f64x2.sub (v128.xor (local.get $g0) (v128.const f64x2 0 -0)) (local.get $h3)))
      (local.set $p (f64x2.sub
        (v128.xor
          (f64x2.mul
            (i8x16.shuffle 8 9 10 11 12 13 14 15 0 1 2 3 4 5 6 7 (local.get $u) (local.get $u))
            (i8x16.shuffle 0 1 2 3 4 5 6 7 0 1 2 3 4 5 6 7 (local.get $x) (local.get $x)))
          (v128.const f64x2 -0 0))
        (f64x2.mul (local.get $u) (i8x16.shuffle 8 9 10 11 12 13 14 15 8 9 10 11 12 13 14 15 (local.get $x) (local.get $x)))))
      (local.set $u (f64x2.add (local.get $h2) (v128.xor (local.get $g1) (v128.const f64x2 0 -0))))
      (local.set $x (f64x2.sub (v128.xor (local.get $h2) (v128.const f64x2 0 -0)) (local.get $g1)))
      (local.set $mirror (v128.xor (f64x2.sub
        (v128.xor
          (f64x2.mul
            (i8x16.shuffle 8 9 10 11 12 13 14 15 0 1 2 3 4 5 6 7 (local.get $u) (local.get $u))
            (i8x16.shuffle 0 1 2 3 4 5 6 7 0 1 2 3 4 5 6 7 (local.get $x) (local.get $x)))
          (v128.const f64x2 -0 0))
        (f64x2.mul (local.get $u) (i8x16.shuffle 8 9 10 11 12 13 14 15 8 9 10 11 12 13 14 15 (local.get $x) (local.get $x)))) (v128.const f64x2 0 -0)))
      (local.set $even (f64x2.add (local.get $p) (local.get $mirror)))
      (local.set $diff (f64x2.sub (local.get $p) (local.get $mirror)))
      (local.set $diff (f64x2.sub
        (f64x2.mul (local.get $diff) (local.get $cos))
        (f64x2.mul (i8x16.shuffle 8 9 10 11 12 13 14 15 0 1 2 3 4 5 6 7 (local.get $diff) (local.get $diff)) (local.get $sin))))
      ;; i D: (-im, re)
      (local.set $diff (v128.xor
        (i8x16.shuffle 8 9 10 11 12 13 14 15 0 1 2 3 4 5 6 7 (local.get $diff) (local.get $diff))
        (v128.const f64x2 -0 0)))
      ;; upper = e + i D = conj(packed'[k]), lower = e - i D = packed'[N - k]
      (local.set $upper (f64x2.add (local.get $even) (local.get $diff)))
      (local.set $lower (f64x2.sub (local.get $even) (local.get $diff)))
      ;; e', D' from P[N/2 + k] = f(Z[N/2 + k], Z[3N/2 - k]) and P[N/2 - k] = f(Z[N/2 - k], Z[3N/2 + k]).
      (local.set $u (f64x2.add (local.get $g2) (v128.xor (local.get $h1) (v128.const f64x2 0 -0))))
      (local.set $x (f64x2.sub (v128.xor (local.get $g2) (v128.const f64x2 0 -0)) (local.get $h1)))
      (local.set $p (f64x2.sub
        (v128.xor
          (f64x2.mul
            (i8x16.shuffle 8 9 10 11 12 13 14 15 0 1 2 3 4 5 6 7 (local.get $u) (local.get $u))
            (i8x16.shuffle 0 1 2 3 4 5 6 7 0 1 2 3 4 5 6 7 (local.get $x) (local.get $x)))
          (v128.const f64x2 -0 0))
        (f64x2.mul (local.get $u) (i8x16.shuffle 8 9 10 11 12 13 14 15 8 9 10 11 12 13 14 15 (local.get $x) (local.get $x)))))
      (local.set $u (f64x2.add (local.get $h0) (v128.xor (local.get $g3) (v128.const f64x2 0 -0))))
      (local.set $x (f64x2.sub (v128.xor (local.get $h0) (v128.const f64x2 0 -0)) (local.get $g3)))
      (local.set $mirror (v128.xor (f64x2.sub
        (v128.xor
          (f64x2.mul
            (i8x16.shuffle 8 9 10 11 12 13 14 15 0 1 2 3 4 5 6 7 (local.get $u) (local.get $u))
            (i8x16.shuffle 0 1 2 3 4 5 6 7 0 1 2 3 4 5 6 7 (local.get $x) (local.get $x)))
          (v128.const f64x2 -0 0))
        (f64x2.mul (local.get $u) (i8x16.shuffle 8 9 10 11 12 13 14 15 8 9 10 11 12 13 14 15 (local.get $x) (local.get $x)))) (v128.const f64x2 0 -0)))
      (local.set $evenHalf (f64x2.add (local.get $p) (local.get $mirror)))
      (local.set $diffHalf (f64x2.sub (local.get $p) (local.get $mirror)))
      (local.set $diffHalf (f64x2.sub
        (f64x2.mul (local.get $diffHalf) (local.get $cos))
        (f64x2.mul (i8x16.shuffle 8 9 10 11 12 13 14 15 0 1 2 3 4 5 6 7 (local.get $diffHalf) (local.get $diffHalf)) (local.get $sin))))
      ;; packed'[N/2 - k] + packed'[N - k] and their difference, at the mirror group's place ...
      (local.set $even (f64x2.add (local.get $evenHalf) (local.get $diffHalf)))
      (local.set $h (i32.add (local.get $half) (i32.shl (local.get $index) (i32.const 3))))
      (v128.store (local.get $h) (f64x2.add (local.get $even) (local.get $lower)))
      (v128.store offset=16 (local.get $h) (f64x2.sub (local.get $even) (local.get $lower)))
      ;; ... and conj(upper + (e' - D')), conj(upper - (e' - D')) at this group's.
      (local.set $diff (f64x2.sub (local.get $evenHalf) (local.get $diffHalf)))
      (local.set $g (i32.add (local.get $half) (i32.shl (local.get $at) (i32.const 3))))
      (v128.store (local.get $g) (v128.xor (f64x2.add (local.get $upper) (local.get $diff)) (v128.const f64x2 0 -0)))
      (v128.store offset=16 (local.get $g) (v128.xor (f64x2.sub (local.get $upper) (local.get $diff)) (v128.const f64x2 0 -0)))
      (local.set $k (i32.add (local.get $k) (i32.const 1)))
      (br_if $spectrum (i32.le_u (local.get $k) (i32.shr_u (local.get $n) (i32.const 3)))))

    ;; The rest of the inverse transform of n/2 points: radix-4 passes, then radix 2 if one stage is left.
    (local.set $m (i32.const 8))
    (if (i32.ge_u (local.get $n) (i32.const 16))
      (then
        (call $inverseEights (local.get $half) (i32.add (local.get $half) (i32.shl (local.get $n) (i32.const 3))) (local.get $twiddles))
        (local.set $m (i32.const 32))))
    (block $inverseDone
      (loop $passes
        (br_if $inverseDone (i32.gt_u (local.get $m) (i32.shr_u (local.get $n) (i32.const 1))))
        (call $inversePass (local.get $half) (i32.add (local.get $half) (i32.shl (local.get $n) (i32.const 3))) (local.get $m) (local.get $twiddles))
        (local.set $m (i32.shl (local.get $m) (i32.const 2)))
        (br $passes)))
    (if (i32.eq (local.get $m) (local.get $n))
      (then (call $inverseLastRadix2 (local.get $half) (i32.shr_u (local.get $n) (i32.const 1)) (local.get $twiddles))))

    (call $peak (local.get $half) (local.get $n) (local.get $maxLag) (local.get $result))))

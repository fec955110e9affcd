;; The circular cross-correlation of two real signals by FFT, and its largest value over a range of lags, as a
;; WebAssembly SIMD kernel (one complex number per f64x2 vector): ViSQOL's fine alignment runs it for every
;; matched patch. Compiled by scripts/build-wasm.mjs into pipeline-cross-correlation-wasm.ts.
;;
;; Both signals go into one complex transform of size $n (a as the real part, b as the imaginary part); the
;; product A conj(B) is formed from its bins k and n - k, and turned back into the real correlation by one
;; complex transform of size n / 2 (even samples as the real part, odd ones as the imaginary part). Values
;; come out scaled by 8 n / 2 = 4 n against the plain sum_m a[m + lag] b[m].
;;
;; Memory, laid out by pipeline-cross-correlation.ts (byte offsets passed in):
;;   $a, $b: the signals, f64, $aLength and $bLength values (at most $n);
;;   $data: $n complex values (16 bytes each), the first transform; $half: $n / 2 complex values, the second;
;;   $twiddles: per stage of half-size h = 1, 2, 4, ..., at $twiddles + 32 (h - 1), per j < h two f64x2:
;;     (cos t, cos t) and (sin t, -sin t), t = 2 pi j / (2 h);
;;   $bitReversed: i32 per index below $n, its bits reversed (log2 $n bits);
;;   $result: out, two f64: the largest correlation value and the largest of all the others.
(module
  (import "env" "memory" (memory 1))

  ;; In-place forward FFT (exponent -2 pi i) of $n complex values stored in bit-reversed order: radix-2
  ;; decimation in time, the first two stages merged (their twiddles are 1 and -i).
  (func $transform (param $data i32) (param $n i32) (param $twiddles i32)
    (local $p i32) (local $end i32) (local $h i32) (local $span i32) (local $block i32) (local $blockEnd i32) (local $w i32)
    (local $x0 v128) (local $x1 v128) (local $x2 v128) (local $x3 v128) (local $u0 v128) (local $u1 v128) (local $u2 v128) (local $u3 v128)
    (local $y v128) (local $t v128)
    (local.set $end (i32.add (local.get $data) (i32.shl (local.get $n) (i32.const 4))))
    (local.set $p (local.get $data))
    (block $quadsDone
      (loop $quads
        (br_if $quadsDone (i32.ge_u (local.get $p) (local.get $end)))
        (local.set $x0 (v128.load (local.get $p)))
        (local.set $x1 (v128.load offset=16 (local.get $p)))
        (local.set $x2 (v128.load offset=32 (local.get $p)))
        (local.set $x3 (v128.load offset=48 (local.get $p)))
        (local.set $u0 (f64x2.add (local.get $x0) (local.get $x1)))
        (local.set $u1 (f64x2.sub (local.get $x0) (local.get $x1)))
        (local.set $u2 (f64x2.add (local.get $x2) (local.get $x3)))
        ;; -i (x2 - x3): (im, -re)
        (local.set $u3 (f64x2.sub (local.get $x2) (local.get $x3)))
        (local.set $u3 (f64x2.mul
          (i8x16.shuffle 8 9 10 11 12 13 14 15 0 1 2 3 4 5 6 7 (local.get $u3) (local.get $u3))
          (v128.const f64x2 1 -1)))
        (v128.store (local.get $p) (f64x2.add (local.get $u0) (local.get $u2)))
        (v128.store offset=16 (local.get $p) (f64x2.add (local.get $u1) (local.get $u3)))
        (v128.store offset=32 (local.get $p) (f64x2.sub (local.get $u0) (local.get $u2)))
        (v128.store offset=48 (local.get $p) (f64x2.sub (local.get $u1) (local.get $u3)))
        (local.set $p (i32.add (local.get $p) (i32.const 64)))
        (br $quads)))
    (local.set $h (i32.const 4))
    (block $stagesDone
      (loop $stages
        (br_if $stagesDone (i32.ge_u (local.get $h) (local.get $n)))
        (local.set $span (i32.shl (local.get $h) (i32.const 4)))
        (local.set $block (local.get $data))
        (block $blocksDone
          (loop $blocks
            (br_if $blocksDone (i32.ge_u (local.get $block) (local.get $end)))
            (local.set $p (local.get $block))
            (local.set $blockEnd (i32.add (local.get $block) (local.get $span)))
            (local.set $w (i32.add (local.get $twiddles) (i32.shl (i32.sub (local.get $h) (i32.const 1)) (i32.const 5))))
            (loop $butterflies
              ;; t = w y: y (cos, cos) + swap(y) (sin, -sin), w = cos - i sin
              (local.set $y (v128.load (i32.add (local.get $p) (local.get $span))))
              (local.set $t (f64x2.add
                (f64x2.mul (local.get $y) (v128.load (local.get $w)))
                (f64x2.mul
                  (i8x16.shuffle 8 9 10 11 12 13 14 15 0 1 2 3 4 5 6 7 (local.get $y) (local.get $y))
                  (v128.load offset=16 (local.get $w)))))
              (local.set $x0 (v128.load (local.get $p)))
              (v128.store (local.get $p) (f64x2.add (local.get $x0) (local.get $t)))
              (v128.store (i32.add (local.get $p) (local.get $span)) (f64x2.sub (local.get $x0) (local.get $t)))
              (local.set $w (i32.add (local.get $w) (i32.const 32)))
              (local.set $p (i32.add (local.get $p) (i32.const 16)))
              (br_if $butterflies (i32.lt_u (local.get $p) (local.get $blockEnd))))
            (local.set $block (i32.add (local.get $block) (i32.shl (local.get $span) (i32.const 1))))
            (br $blocks)))
        (local.set $h (i32.shl (local.get $h) (i32.const 1)))
        (br $stages))))

  ;; Writes the largest correlation value over lags -$maxLag..$maxLag (the first from the most negative lag)
  ;; and the largest of the others to $result; returns that lag. $n is a power of two, at least 8.
  (func (export "correlate")
    (param $a i32) (param $aLength i32) (param $b i32) (param $bLength i32) (param $n i32) (param $maxLag i32)
    (param $data i32) (param $half i32) (param $twiddles i32) (param $bitReversed i32) (param $result i32)
    (result i32)
    (local $k i32) (local $quarter i32) (local $at i32) (local $mirror i32) (local $w i32) (local $lag i32) (local $index i32) (local $bestAt i32)
    (local $re f64) (local $im f64)
    (local $zr f64) (local $zi f64) (local $mr f64) (local $mi f64)
    (local $ar f64) (local $ai f64) (local $br f64) (local $bi f64)
    (local $evenRe f64) (local $evenIm f64) (local $diffRe f64) (local $diffIm f64) (local $cos f64) (local $sin f64)
    (local $value f64) (local $best f64) (local $runnerUp f64)
    ;; z[k] = a[k] + i b[k], zero-padded, stored in bit-reversed order.
    (local.set $k (i32.const 0))
    (block $packed
      (loop $pack
        (br_if $packed (i32.ge_u (local.get $k) (local.get $n)))
        (local.set $re (if (result f64) (i32.lt_u (local.get $k) (local.get $aLength))
          (then (f64.load (i32.add (local.get $a) (i32.shl (local.get $k) (i32.const 3))))) (else (f64.const 0))))
        (local.set $im (if (result f64) (i32.lt_u (local.get $k) (local.get $bLength))
          (then (f64.load (i32.add (local.get $b) (i32.shl (local.get $k) (i32.const 3))))) (else (f64.const 0))))
        (local.set $at (i32.add (local.get $data)
          (i32.shl (i32.load (i32.add (local.get $bitReversed) (i32.shl (local.get $k) (i32.const 2)))) (i32.const 4))))
        (f64.store (local.get $at) (local.get $re))
        (f64.store offset=8 (local.get $at) (local.get $im))
        (local.set $k (i32.add (local.get $k) (i32.const 1)))
        (br $pack)))
    (call $transform (local.get $data) (local.get $n) (local.get $twiddles))

    ;; 4 A[k] conj(B[k]) for k = 0..n/2, written over z[k] (bins above n/2 are read only).
    ;; 2 A = z[k] + conj(z[n - k]), 2 B = -i (z[k] - conj(z[n - k])).
    (local.set $quarter (i32.shr_u (local.get $n) (i32.const 1)))
    (local.set $k (i32.const 0))
    (block $productDone
      (loop $product
        (br_if $productDone (i32.gt_u (local.get $k) (local.get $quarter)))
        (local.set $at (i32.add (local.get $data) (i32.shl (local.get $k) (i32.const 4))))
        (local.set $mirror (i32.add (local.get $data)
          (i32.shl (i32.and (i32.sub (local.get $n) (local.get $k)) (i32.sub (local.get $n) (i32.const 1))) (i32.const 4))))
        (local.set $zr (f64.load (local.get $at)))
        (local.set $zi (f64.load offset=8 (local.get $at)))
        (local.set $mr (f64.load (local.get $mirror)))
        (local.set $mi (f64.load offset=8 (local.get $mirror)))
        (local.set $ar (f64.add (local.get $zr) (local.get $mr)))
        (local.set $ai (f64.sub (local.get $zi) (local.get $mi)))
        (local.set $br (f64.add (local.get $zi) (local.get $mi)))
        (local.set $bi (f64.sub (local.get $mr) (local.get $zr)))
        (f64.store (local.get $at) (f64.add (f64.mul (local.get $ar) (local.get $br)) (f64.mul (local.get $ai) (local.get $bi))))
        (f64.store offset=8 (local.get $at) (f64.sub (f64.mul (local.get $ai) (local.get $br)) (f64.mul (local.get $ar) (local.get $bi))))
        (local.set $k (i32.add (local.get $k) (i32.const 1)))
        (br $product)))

    ;; The real inverse of that half spectrum P as one transform of n/2 points: 2 packed[k] = (P[k] + E) +
    ;; i (P[k] - E) e^{2 pi i k / n}, E = conj(P[n/2 - k]); stored conjugated, in bit-reversed order, so that
    ;; the forward transform gives the conjugate of the inverse one.
    (local.set $w (i32.add (local.get $twiddles) (i32.shl (i32.sub (local.get $quarter) (i32.const 1)) (i32.const 5))))
    (local.set $k (i32.const 0))
    (block $unpacked
      (loop $unpack
        (br_if $unpacked (i32.ge_u (local.get $k) (local.get $quarter)))
        (local.set $at (i32.add (local.get $data) (i32.shl (local.get $k) (i32.const 4))))
        (local.set $mirror (i32.add (local.get $data) (i32.shl (i32.sub (local.get $quarter) (local.get $k)) (i32.const 4))))
        (local.set $re (f64.load (local.get $at)))
        (local.set $im (f64.load offset=8 (local.get $at)))
        (local.set $mr (f64.load (local.get $mirror)))
        (local.set $mi (f64.neg (f64.load offset=8 (local.get $mirror))))
        (local.set $evenRe (f64.add (local.get $re) (local.get $mr)))
        (local.set $evenIm (f64.add (local.get $im) (local.get $mi)))
        (local.set $diffRe (f64.sub (local.get $re) (local.get $mr)))
        (local.set $diffIm (f64.sub (local.get $im) (local.get $mi)))
        (local.set $cos (f64.load (local.get $w)))
        (local.set $sin (f64.load offset=16 (local.get $w)))
        ;; odd = diff (cos + i sin); packed = even + i odd, conjugated.
        (local.set $at (i32.add (local.get $half)
          (i32.shl (i32.load (i32.add (local.get $bitReversed) (i32.shl (local.get $k) (i32.const 3)))) (i32.const 4))))
        (f64.store (local.get $at) (f64.sub (local.get $evenRe)
          (f64.add (f64.mul (local.get $diffRe) (local.get $sin)) (f64.mul (local.get $diffIm) (local.get $cos)))))
        (f64.store offset=8 (local.get $at) (f64.neg (f64.add (local.get $evenIm)
          (f64.sub (f64.mul (local.get $diffRe) (local.get $cos)) (f64.mul (local.get $diffIm) (local.get $sin))))))
        (local.set $w (i32.add (local.get $w) (i32.const 32)))
        (local.set $k (i32.add (local.get $k) (i32.const 1)))
        (br $unpack)))
    (call $transform (local.get $half) (local.get $quarter) (local.get $twiddles))

    ;; Sample m of the correlation: the real part of transform value m / 2 for even m, minus its imaginary part for odd m.
    (local.set $best (f64.const -inf))
    (local.set $runnerUp (f64.const -inf))
    (local.set $lag (i32.sub (i32.const 0) (local.get $maxLag)))
    (block $searched
      (loop $search
        (br_if $searched (i32.gt_s (local.get $lag) (local.get $maxLag)))
        (local.set $index (i32.and (local.get $lag) (i32.sub (local.get $n) (i32.const 1))))
        (local.set $value (f64.load (i32.add (local.get $half) (i32.shl (local.get $index) (i32.const 3)))))
        (if (i32.and (local.get $index) (i32.const 1)) (then (local.set $value (f64.neg (local.get $value)))))
        (if (f64.gt (local.get $value) (local.get $best))
          (then
            (local.set $runnerUp (local.get $best))
            (local.set $best (local.get $value))
            (local.set $bestAt (local.get $lag)))
          (else
            (if (f64.gt (local.get $value) (local.get $runnerUp)) (then (local.set $runnerUp (local.get $value))))))
        (local.set $lag (i32.add (local.get $lag) (i32.const 1)))
        (br $search)))
    (f64.store (local.get $result) (local.get $best))
    (f64.store offset=8 (local.get $result) (local.get $runnerUp))
    (local.get $bestAt)))

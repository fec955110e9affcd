;; mosLqo's band powers (band-powers.ts): Hann-windowed 512-sample frames of a 16 kHz signal, a real FFT
;; (a 256-point complex radix-2 FFT of the even/odd samples, then the usual split into the 512-point
;; spectrum), |X_k|^2 summed over each band's bins. Two frames at once: lane 0 of every f64x2 is one
;; frame, lane 1 the next. All arithmetic is f64.
;;
;; Memory (byte offsets, written by band-powers.ts):
;;   0      Hann window, 512 f64
;;   4096   bit reversal: for complex sample n, byte offset 16 * reverse8(n), 256 i32
;;   5120   FFT twiddles cos, sin of 2 pi k / 256, k < 128, as f64 pairs
;;   7168   split twiddles cos, sin of 2 pi k / 512, k < 256, as f64 pairs
;;   11264  bands: first bin, last bin (1..255) as i32 pairs, at most 64 bands
;;   12288  real parts, 256 f64x2;  16384 imaginary parts;  20480 4 |X_k|^2 per bin
;;   24576  per-call data: the signal (f32), frame start addresses, output rows
(module
  (import "env" "memory" (memory 1))

  (func $fft (local $half i32) (local $twiddleStep i32) (local $j i32) (local $a i32) (local $span i32)
    (local $c v128) (local $s v128) (local $ar v128) (local $ai v128) (local $br v128) (local $bi v128)
    (local $tr v128) (local $ti v128)
    ;; Butterflies of span 1 (twiddle 1) first.
    (local.set $a (i32.const 0))
    (loop $pairs
      (local.set $ar (v128.load (i32.add (i32.const 12288) (local.get $a))))
      (local.set $ai (v128.load (i32.add (i32.const 16384) (local.get $a))))
      (local.set $br (v128.load (i32.add (i32.const 12304) (local.get $a))))
      (local.set $bi (v128.load (i32.add (i32.const 16400) (local.get $a))))
      (v128.store (i32.add (i32.const 12288) (local.get $a)) (f64x2.add (local.get $ar) (local.get $br)))
      (v128.store (i32.add (i32.const 16384) (local.get $a)) (f64x2.add (local.get $ai) (local.get $bi)))
      (v128.store (i32.add (i32.const 12304) (local.get $a)) (f64x2.sub (local.get $ar) (local.get $br)))
      (v128.store (i32.add (i32.const 16400) (local.get $a)) (f64x2.sub (local.get $ai) (local.get $bi)))
      (br_if $pairs (i32.lt_u (local.tee $a (i32.add (local.get $a) (i32.const 32))) (i32.const 4096))))
    ;; Then spans 2, 4, .. 128 (in elements); offsets below are bytes (16 per element).
    (local.set $half (i32.const 2))
    (local.set $twiddleStep (i32.const 1024)) ;; 16 bytes * 128 / half, in the twiddle table
    (loop $stages
      (local.set $span (i32.shl (local.get $half) (i32.const 4)))
      (local.set $j (i32.const 0))
      (loop $twiddles
        (local.set $c (v128.load64_splat (i32.add (i32.const 5120) (i32.mul (local.get $j) (local.get $twiddleStep)))))
        (local.set $s (v128.load64_splat (i32.add (i32.const 5128) (i32.mul (local.get $j) (local.get $twiddleStep)))))
        (local.set $a (i32.shl (local.get $j) (i32.const 4)))
        (loop $groups
          (local.set $br (v128.load (i32.add (i32.const 12288) (i32.add (local.get $a) (local.get $span)))))
          (local.set $bi (v128.load (i32.add (i32.const 16384) (i32.add (local.get $a) (local.get $span)))))
          ;; t = b e^(-i theta)
          (local.set $tr (f64x2.add (f64x2.mul (local.get $c) (local.get $br)) (f64x2.mul (local.get $s) (local.get $bi))))
          (local.set $ti (f64x2.sub (f64x2.mul (local.get $c) (local.get $bi)) (f64x2.mul (local.get $s) (local.get $br))))
          (local.set $ar (v128.load (i32.add (i32.const 12288) (local.get $a))))
          (local.set $ai (v128.load (i32.add (i32.const 16384) (local.get $a))))
          (v128.store (i32.add (i32.const 12288) (i32.add (local.get $a) (local.get $span))) (f64x2.sub (local.get $ar) (local.get $tr)))
          (v128.store (i32.add (i32.const 16384) (i32.add (local.get $a) (local.get $span))) (f64x2.sub (local.get $ai) (local.get $ti)))
          (v128.store (i32.add (i32.const 12288) (local.get $a)) (f64x2.add (local.get $ar) (local.get $tr)))
          (v128.store (i32.add (i32.const 16384) (local.get $a)) (f64x2.add (local.get $ai) (local.get $ti)))
          (br_if $groups (i32.lt_u (local.tee $a (i32.add (local.get $a) (i32.shl (local.get $span) (i32.const 1)))) (i32.const 4096))))
        (br_if $twiddles (i32.lt_u (local.tee $j (i32.add (local.get $j) (i32.const 1))) (local.get $half))))
      (local.set $twiddleStep (i32.shr_u (local.get $twiddleStep) (i32.const 1)))
      (br_if $stages (i32.le_u (local.tee $half (i32.shl (local.get $half) (i32.const 1))) (i32.const 128)))))

  ;; Rows 2p and 2p+1 of `out` (bandCount f64 each) for each pair p < pairs of frame start addresses at `starts`.
  (func (export "frames") (param $pairs i32) (param $starts i32) (param $out i32) (param $bandCount i32) (param $scale f64)
    (local $p i32) (local $frameA i32) (local $frameB i32) (local $n i32) (local $to i32) (local $k i32) (local $b i32)
    (local $last i32) (local $rowA i32)
    (local $va v128) (local $vb v128) (local $zr v128) (local $zi v128) (local $mr v128) (local $mi v128)
    (local $er v128) (local $ei v128) (local $or v128) (local $oi v128) (local $c v128) (local $s v128)
    (local $xr v128) (local $xi v128) (local $sum v128)
    (local.set $rowA (local.get $out))
    (block $done
      (br_if $done (i32.eqz (local.get $pairs)))
      (loop $framePairs
        (local.set $frameA (i32.load (local.get $starts)))
        (local.set $frameB (i32.load offset=4 (local.get $starts)))
        ;; Window; even samples to the real parts, odd to the imaginary, in bit-reversed order.
        (local.set $n (i32.const 0))
        (loop $window
          (local.set $va (f64x2.mul (f64x2.promote_low_f32x4 (v128.load64_zero (i32.add (local.get $frameA) (i32.shl (local.get $n) (i32.const 3)))))
            (v128.load (i32.shl (local.get $n) (i32.const 4)))))
          (local.set $vb (f64x2.mul (f64x2.promote_low_f32x4 (v128.load64_zero (i32.add (local.get $frameB) (i32.shl (local.get $n) (i32.const 3)))))
            (v128.load (i32.shl (local.get $n) (i32.const 4)))))
          (local.set $to (i32.load offset=4096 (i32.shl (local.get $n) (i32.const 2))))
          (v128.store offset=12288 (local.get $to)
            (i8x16.shuffle 0 1 2 3 4 5 6 7 16 17 18 19 20 21 22 23 (local.get $va) (local.get $vb)))
          (v128.store offset=16384 (local.get $to)
            (i8x16.shuffle 8 9 10 11 12 13 14 15 24 25 26 27 28 29 30 31 (local.get $va) (local.get $vb)))
          (br_if $window (i32.lt_u (local.tee $n (i32.add (local.get $n) (i32.const 1))) (i32.const 256))))
        (call $fft)
        ;; X_k = E_k + e^(-2 pi i k / 512) O_k from Z_k and Z_(256-k); 2E and 2O here, so 4 |X_k|^2.
        (local.set $k (i32.const 16))
        (loop $split
          (local.set $zr (v128.load offset=12288 (local.get $k)))
          (local.set $zi (v128.load offset=16384 (local.get $k)))
          (local.set $mr (v128.load offset=12288 (i32.sub (i32.const 4096) (local.get $k))))
          (local.set $mi (v128.load offset=16384 (i32.sub (i32.const 4096) (local.get $k))))
          (local.set $er (f64x2.add (local.get $zr) (local.get $mr)))
          (local.set $ei (f64x2.sub (local.get $zi) (local.get $mi)))
          (local.set $or (f64x2.add (local.get $zi) (local.get $mi)))
          (local.set $oi (f64x2.sub (local.get $mr) (local.get $zr)))
          (local.set $c (v128.load64_splat offset=7168 (local.get $k)))
          (local.set $s (v128.load64_splat offset=7176 (local.get $k)))
          (local.set $xr (f64x2.add (local.get $er) (f64x2.add (f64x2.mul (local.get $c) (local.get $or)) (f64x2.mul (local.get $s) (local.get $oi)))))
          (local.set $xi (f64x2.add (local.get $ei) (f64x2.sub (f64x2.mul (local.get $c) (local.get $oi)) (f64x2.mul (local.get $s) (local.get $or)))))
          (v128.store offset=20480 (local.get $k)
            (f64x2.add (f64x2.mul (local.get $xr) (local.get $xr)) (f64x2.mul (local.get $xi) (local.get $xi))))
          (br_if $split (i32.lt_u (local.tee $k (i32.add (local.get $k) (i32.const 16))) (i32.const 4096))))
        ;; Band sums, bin by bin in order, scaled; lane 0 to row 2p, lane 1 to row 2p+1.
        (local.set $b (i32.const 0))
        (loop $bands
          (local.set $k (i32.shl (i32.load offset=11264 (i32.shl (local.get $b) (i32.const 3))) (i32.const 4)))
          (local.set $last (i32.shl (i32.load offset=11268 (i32.shl (local.get $b) (i32.const 3))) (i32.const 4)))
          (local.set $sum (f64x2.splat (f64.const 0)))
          (loop $bins
            (local.set $sum (f64x2.add (local.get $sum) (v128.load offset=20480 (local.get $k))))
            (br_if $bins (i32.le_u (local.tee $k (i32.add (local.get $k) (i32.const 16))) (local.get $last))))
          (local.set $sum (f64x2.mul (local.get $sum) (f64x2.splat (local.get $scale))))
          (f64.store (i32.add (local.get $rowA) (i32.shl (local.get $b) (i32.const 3))) (f64x2.extract_lane 0 (local.get $sum)))
          (f64.store (i32.add (i32.add (local.get $rowA) (i32.shl (local.get $bandCount) (i32.const 3))) (i32.shl (local.get $b) (i32.const 3)))
            (f64x2.extract_lane 1 (local.get $sum)))
          (br_if $bands (i32.lt_u (local.tee $b (i32.add (local.get $b) (i32.const 1))) (local.get $bandCount))))
        (local.set $rowA (i32.add (local.get $rowA) (i32.shl (local.get $bandCount) (i32.const 4))))
        (local.set $starts (i32.add (local.get $starts) (i32.const 8)))
        (br_if $framePairs (local.tee $pairs (i32.sub (local.get $pairs) (i32.const 1)))))))
)

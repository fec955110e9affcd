;; The coarse patch search of PatchComparator (patch-comparator.ts) as a WebAssembly SIMD kernel: one
;; reference patch's NSIM against the degraded patches at consecutive offsets, four offsets per f32x4 vector.
;; Single precision is enough to choose offsets when the cancellation-prone term is computed without
;; cancellation: the local covariance is sum_k g_k (D_k - D_centre), where g_k = w_k (R_k - muR) are the
;; reference's centred, weighted neighbours (patch-comparator.ts folds the patch's replicated edges into them).
;; Compiled by scripts/build-wasm.mjs into nsim-offsets-wasm.ts.
;;
;; Memory, laid out by patch-comparator.ts (byte offsets passed in):
;;   planes of $plane bytes, rows of $rowBytes, one padding row and one padding column before the data:
;;     the zero-extended degraded spectrogram, then per patch column role (first, inner, last) the degraded
;;     local mean and signed deviation;
;;   $d: the spectrogram's band 0 at the column before the first offset;
;;   $ref: per band, per patch column, 48 bytes: g for the eight neighbours (below-left, below, below-right,
;;     left, right, above-left, above, above-right), 2 muR, muR^2 + C1, the signed deviation as f32, then the
;;     byte distance from the spectrogram plane to the column role's mean plane as i32;
;;   $cov, $sums: scratch, 16 bytes per four offsets;
;;   $out: per offset, the sum of the terms over all bands and columns as f64.
;; Each cell runs two passes over the offsets, so that few values are live at once (V8 gives wasm 15 vector
;; registers): the covariances first, then the intensity and structure terms.
(module
  (import "env" "memory" (memory 1))
  (func (export "search")
    (param $d i32) (param $rowBytes i32) (param $plane i32) (param $quads i32) (param $width i32) (param $ref i32)
    (param $cov i32) (param $sums i32) (param $out i32)
    (local $end i32) (local $k i32) (local $band i32) (local $row i32) (local $column i32) (local $columnsEnd i32)
    (local $r i32) (local $below i32) (local $above i32) (local $stats i32) (local $at i32)
    (local $gBL v128) (local $gB v128) (local $gBR v128) (local $gL v128) (local $gR v128) (local $gAL v128)
    (local $gA v128) (local $gAR v128) (local $centre v128)
    (local $muR2 v128) (local $sR v128) (local $devR v128) (local $mean v128) (local $deviations v128) (local $sum v128)
    (local.set $end (i32.shl (local.get $quads) (i32.const 4)))
    (local.set $k (i32.const 0))
    (loop $clearOut
      (v128.store offset=0 (i32.add (local.get $out) (local.get $k)) (v128.const f64x2 0 0))
      (local.set $k (i32.add (local.get $k) (i32.const 16)))
      (br_if $clearOut (i32.lt_u (local.get $k) (i32.shl (local.get $end) (i32.const 1)))))
    (local.set $r (local.get $ref))
    (local.set $row (local.get $d))
    (loop $bands
      (local.set $k (i32.const 0))
      (loop $clearSums
        (v128.store (i32.add (local.get $sums) (local.get $k)) (v128.const f32x4 0 0 0 0))
        (local.set $k (i32.add (local.get $k) (i32.const 16)))
        (br_if $clearSums (i32.lt_u (local.get $k) (local.get $end))))
      (local.set $column (local.get $row))
      (local.set $columnsEnd (i32.add (local.get $row) (i32.shl (local.get $width) (i32.const 2))))
      (loop $columns
        ;; Pass 1: the local covariance sum_k g_k (D_k - D_centre) at every offset.
        (local.set $gBL (v128.load32_splat offset=0 (local.get $r)))
        (local.set $gB (v128.load32_splat offset=4 (local.get $r)))
        (local.set $gBR (v128.load32_splat offset=8 (local.get $r)))
        (local.set $gL (v128.load32_splat offset=12 (local.get $r)))
        (local.set $gR (v128.load32_splat offset=16 (local.get $r)))
        (local.set $gAL (v128.load32_splat offset=20 (local.get $r)))
        (local.set $gA (v128.load32_splat offset=24 (local.get $r)))
        (local.set $gAR (v128.load32_splat offset=28 (local.get $r)))
        (local.set $below (i32.sub (local.get $column) (local.get $rowBytes)))
        (local.set $above (i32.add (local.get $column) (local.get $rowBytes)))
        (local.set $k (i32.const 0))
        (loop $covariances
          (local.set $at (i32.add (local.get $column) (local.get $k)))
          (local.set $centre (v128.load offset=4 (local.get $at)))
          (v128.store (i32.add (local.get $cov) (local.get $k))
            (f32x4.add
              (f32x4.add
                (f32x4.add
                  (f32x4.mul (local.get $gBL) (f32x4.sub (v128.load offset=0 (i32.add (local.get $below) (local.get $k))) (local.get $centre)))
                  (f32x4.mul (local.get $gB) (f32x4.sub (v128.load offset=4 (i32.add (local.get $below) (local.get $k))) (local.get $centre))))
                (f32x4.add
                  (f32x4.mul (local.get $gBR) (f32x4.sub (v128.load offset=8 (i32.add (local.get $below) (local.get $k))) (local.get $centre)))
                  (f32x4.mul (local.get $gL) (f32x4.sub (v128.load offset=0 (local.get $at)) (local.get $centre)))))
              (f32x4.add
                (f32x4.add
                  (f32x4.mul (local.get $gR) (f32x4.sub (v128.load offset=8 (local.get $at)) (local.get $centre)))
                  (f32x4.mul (local.get $gAL) (f32x4.sub (v128.load offset=0 (i32.add (local.get $above) (local.get $k))) (local.get $centre))))
                (f32x4.add
                  (f32x4.mul (local.get $gA) (f32x4.sub (v128.load offset=4 (i32.add (local.get $above) (local.get $k))) (local.get $centre)))
                  (f32x4.mul (local.get $gAR) (f32x4.sub (v128.load offset=8 (i32.add (local.get $above) (local.get $k))) (local.get $centre)))))))
          (local.set $k (i32.add (local.get $k) (i32.const 16)))
          (br_if $covariances (i32.lt_u (local.get $k) (local.get $end))))
        ;; Pass 2: term = ((2 muR muD + C1) (cov + C3)) / ((muR^2 + C1 + muD^2) (max(devR devD, 0) + C3)):
        ;; the structure denominator is C3 alone where devR devD < 0 (pmax(0, x) is 0 < x ? x : 0).
        (local.set $muR2 (v128.load32_splat offset=32 (local.get $r)))
        (local.set $sR (v128.load32_splat offset=36 (local.get $r)))
        (local.set $devR (v128.load32_splat offset=40 (local.get $r)))
        (local.set $stats (i32.add (local.get $column) (i32.load offset=44 (local.get $r))))
        (local.set $k (i32.const 0))
        (loop $terms
          (local.set $at (i32.add (local.get $stats) (local.get $k)))
          (local.set $mean (v128.load offset=4 (local.get $at)))
          (local.set $deviations (f32x4.mul (local.get $devR) (v128.load offset=4 (i32.add (local.get $at) (local.get $plane)))))
          (local.set $at (i32.add (local.get $sums) (local.get $k)))
          (v128.store (local.get $at)
            (f32x4.add (v128.load (local.get $at))
              (f32x4.div
                (f32x4.mul
                  (f32x4.add (f32x4.mul (local.get $muR2) (local.get $mean)) (v128.const f32x4 1e-4 1e-4 1e-4 1e-4))
                  (f32x4.add (v128.load (i32.add (local.get $cov) (local.get $k))) (v128.const f32x4 4.5e-4 4.5e-4 4.5e-4 4.5e-4)))
                (f32x4.mul
                  (f32x4.add (f32x4.mul (local.get $mean) (local.get $mean)) (local.get $sR))
                  (f32x4.add (f32x4.pmax (v128.const f32x4 0 0 0 0) (local.get $deviations)) (v128.const f32x4 4.5e-4 4.5e-4 4.5e-4 4.5e-4))))))
          (local.set $k (i32.add (local.get $k) (i32.const 16)))
          (br_if $terms (i32.lt_u (local.get $k) (local.get $end))))
        (local.set $r (i32.add (local.get $r) (i32.const 48)))
        (local.set $column (i32.add (local.get $column) (i32.const 4)))
        (br_if $columns (i32.lt_u (local.get $column) (local.get $columnsEnd))))
      ;; Bands add up in f64: a band's twenty terms are all that is summed in single precision.
      (local.set $k (i32.const 0))
      (loop $fold
        (local.set $sum (v128.load (i32.add (local.get $sums) (local.get $k))))
        (local.set $at (i32.add (local.get $out) (i32.shl (local.get $k) (i32.const 1))))
        (v128.store offset=0 (local.get $at)
          (f64x2.add (v128.load offset=0 (local.get $at)) (f64x2.promote_low_f32x4 (local.get $sum))))
        (v128.store offset=16 (local.get $at)
          (f64x2.add (v128.load offset=16 (local.get $at))
            (f64x2.promote_low_f32x4 (i8x16.shuffle 8 9 10 11 12 13 14 15 8 9 10 11 12 13 14 15 (local.get $sum) (local.get $sum)))))
        (local.set $k (i32.add (local.get $k) (i32.const 16)))
        (br_if $fold (i32.lt_u (local.get $k) (local.get $end))))
      (local.set $row (i32.add (local.get $row) (local.get $rowBytes)))
      (local.set $band (i32.add (local.get $band) (i32.const 1)))
      (br_if $bands (i32.lt_u (local.get $band) (i32.const 21))))))

;; The inner loops of PatchComparator (patch-comparator.ts) as a WebAssembly SIMD kernel: one reference
;; patch's NSIM terms against the degraded patches at consecutive offsets, two offsets per f64x2 vector, the
;; same IEEE operations in the same order as one comparison in scalar code, so the results are the same bits.
;; Compiled by scripts/build-wasm.mjs into nsim-offsets-wasm.ts.
;;
;; Memory, laid out by patch-comparator.ts (byte offsets passed in):
;;   $ext: the zero-extended degraded spectrogram, band-major, rows of $extFrames f64;
;;   $stats: nine planes of $plane bytes, laid out like $ext: for a patch's first, inner and last column
;;     (in that order), the degraded side's local mean, mean squared and signed deviation;
;;   $ref: per band, per patch column, twelve f64: the reference's 3x3 neighbourhood (below-left,
;;     below-right, above-left, above-right, below, above, left, right, centre), then its local mean, mean
;;     squared and signed deviation;
;;   $sums: out, per band, 2 $pairs f64: the band's sum of terms over the patch columns, per offset.
(module
  (memory (export "memory") 1)
  (func (export "compare")
    (param $ext i32) (param $stats i32) (param $plane i32) (param $extFrames i32) (param $first i32)
    (param $pairs i32) (param $width i32) (param $ref i32) (param $sums i32)
    (local $band i32) (local $j i32) (local $q i32) (local $end i32) (local $rowBytes i32)
    (local $rowBelow i32) (local $rowAbove i32) (local $row i32) (local $left i32) (local $right i32) (local $centre i32)
    (local $aBL i32) (local $aBR i32) (local $aAL i32) (local $aAR i32) (local $aB i32) (local $aA i32)
    (local $aL i32) (local $aR i32) (local $aC i32) (local $aMean i32) (local $aMeanSq i32) (local $aDev i32)
    (local $sumRow i32) (local $refAt i32)
    (local $rBL v128) (local $rBR v128) (local $rAL v128) (local $rAR v128) (local $rB v128) (local $rA v128)
    (local $rL v128) (local $rR v128) (local $rC v128) (local $muR v128) (local $meanSqR v128) (local $devR v128)
    (local $corners v128) (local $edges v128) (local $cross v128) (local $muProduct v128) (local $deviations v128)
    (local.set $end (i32.shl (local.get $pairs) (i32.const 4)))
    (local.set $rowBytes (i32.shl (local.get $extFrames) (i32.const 3)))
    (block $bandsDone
      (loop $bands
        (br_if $bandsDone (i32.ge_u (local.get $band) (i32.const 21)))
        ;; Rows of this band and its neighbours (replicated at the edges), from column $first.
        (local.set $row (i32.add (local.get $ext)
          (i32.shl (i32.add (i32.mul (local.get $band) (local.get $extFrames)) (local.get $first)) (i32.const 3))))
        (local.set $rowBelow (select (local.get $row) (i32.sub (local.get $row) (local.get $rowBytes)) (i32.eqz (local.get $band))))
        (local.set $rowAbove (select (local.get $row) (i32.add (local.get $row) (local.get $rowBytes)) (i32.eq (local.get $band) (i32.const 20))))
        (local.set $sumRow (i32.add (local.get $sums) (i32.mul (local.get $band) (local.get $end))))
        (local.set $q (i32.const 0))
        (block $clearDone
          (loop $clear
            (br_if $clearDone (i32.ge_u (local.get $q) (local.get $end)))
            (v128.store (i32.add (local.get $sumRow) (local.get $q)) (v128.const f64x2 0 0))
            (local.set $q (i32.add (local.get $q) (i32.const 16)))
            (br $clear)))
        (local.set $j (i32.const 0))
        (block $columnsDone
          (loop $columns
            (br_if $columnsDone (i32.ge_u (local.get $j) (local.get $width)))
            ;; Byte offsets of the left, centre and right neighbour columns (replicated at the patch's edges).
            (local.set $centre (i32.shl (local.get $j) (i32.const 3)))
            (local.set $left (select (i32.const 0) (i32.sub (local.get $centre) (i32.const 8)) (i32.eqz (local.get $j))))
            (local.set $right (select (local.get $centre) (i32.add (local.get $centre) (i32.const 8))
              (i32.eq (local.get $j) (i32.sub (local.get $width) (i32.const 1)))))
            (local.set $aBL (i32.add (local.get $rowBelow) (local.get $left)))
            (local.set $aBR (i32.add (local.get $rowBelow) (local.get $right)))
            (local.set $aAL (i32.add (local.get $rowAbove) (local.get $left)))
            (local.set $aAR (i32.add (local.get $rowAbove) (local.get $right)))
            (local.set $aB (i32.add (local.get $rowBelow) (local.get $centre)))
            (local.set $aA (i32.add (local.get $rowAbove) (local.get $centre)))
            (local.set $aL (i32.add (local.get $row) (local.get $left)))
            (local.set $aR (i32.add (local.get $row) (local.get $right)))
            (local.set $aC (i32.add (local.get $row) (local.get $centre)))
            ;; The statistics planes of the column's role, at the same place as $aC in $ext.
            (local.set $aMean (i32.add (i32.sub (local.get $aC) (local.get $ext))
              (i32.add (local.get $stats)
                (i32.mul (i32.mul (local.get $plane) (i32.const 3))
                  (select (i32.const 0)
                    (select (i32.const 2) (i32.const 1) (i32.eq (local.get $j) (i32.sub (local.get $width) (i32.const 1))))
                    (i32.eqz (local.get $j)))))))
            (local.set $aMeanSq (i32.add (local.get $aMean) (local.get $plane)))
            (local.set $aDev (i32.add (local.get $aMeanSq) (local.get $plane)))
            (local.set $refAt (i32.add (local.get $ref)
              (i32.mul (i32.add (i32.mul (local.get $band) (local.get $width)) (local.get $j)) (i32.const 96))))
            (local.set $rBL (v128.load64_splat offset=0 (local.get $refAt)))
            (local.set $rBR (v128.load64_splat offset=8 (local.get $refAt)))
            (local.set $rAL (v128.load64_splat offset=16 (local.get $refAt)))
            (local.set $rAR (v128.load64_splat offset=24 (local.get $refAt)))
            (local.set $rB (v128.load64_splat offset=32 (local.get $refAt)))
            (local.set $rA (v128.load64_splat offset=40 (local.get $refAt)))
            (local.set $rL (v128.load64_splat offset=48 (local.get $refAt)))
            (local.set $rR (v128.load64_splat offset=56 (local.get $refAt)))
            (local.set $rC (v128.load64_splat offset=64 (local.get $refAt)))
            (local.set $muR (v128.load64_splat offset=72 (local.get $refAt)))
            (local.set $meanSqR (v128.load64_splat offset=80 (local.get $refAt)))
            (local.set $devR (v128.load64_splat offset=88 (local.get $refAt)))
            (local.set $q (i32.const 0))
            (block $offsetsDone
              (loop $offsets
                (br_if $offsetsDone (i32.ge_u (local.get $q) (local.get $end)))
                (local.set $corners
                  (f64x2.add
                    (f64x2.add
                      (f64x2.add
                        (f64x2.mul (local.get $rBL) (v128.load (i32.add (local.get $aBL) (local.get $q))))
                        (f64x2.mul (local.get $rBR) (v128.load (i32.add (local.get $aBR) (local.get $q)))))
                      (f64x2.mul (local.get $rAL) (v128.load (i32.add (local.get $aAL) (local.get $q)))))
                    (f64x2.mul (local.get $rAR) (v128.load (i32.add (local.get $aAR) (local.get $q))))))
                (local.set $edges
                  (f64x2.add
                    (f64x2.add
                      (f64x2.add
                        (f64x2.mul (local.get $rB) (v128.load (i32.add (local.get $aB) (local.get $q))))
                        (f64x2.mul (local.get $rA) (v128.load (i32.add (local.get $aA) (local.get $q)))))
                      (f64x2.mul (local.get $rL) (v128.load (i32.add (local.get $aL) (local.get $q)))))
                    (f64x2.mul (local.get $rR) (v128.load (i32.add (local.get $aR) (local.get $q))))))
                (local.set $cross
                  (f64x2.add
                    (f64x2.add
                      (f64x2.mul (v128.const f64x2 0.0113033910173052 0.0113033910173052) (local.get $corners))
                      (f64x2.mul (v128.const f64x2 0.0838251475442633 0.0838251475442633) (local.get $edges)))
                    (f64x2.mul (v128.const f64x2 0.619485845753726 0.619485845753726)
                      (f64x2.mul (local.get $rC) (v128.load (i32.add (local.get $aC) (local.get $q)))))))
                (local.set $muProduct (f64x2.mul (local.get $muR) (v128.load (i32.add (local.get $aMean) (local.get $q)))))
                (local.set $deviations (f64x2.mul (local.get $devR) (v128.load (i32.add (local.get $aDev) (local.get $q)))))
                ;; term = ((2 muR muD + C1) (cross - muR muD + C3)) / ((muR^2 + muD^2 + C1) (devR devD + C3)),
                ;; the structure denominator C3 alone where devR devD < 0.
                (v128.store (i32.add (local.get $sumRow) (local.get $q))
                  (f64x2.add
                    (v128.load (i32.add (local.get $sumRow) (local.get $q)))
                    (f64x2.div
                      (f64x2.mul
                        (f64x2.add (f64x2.mul (local.get $muProduct) (v128.const f64x2 2 2)) (v128.const f64x2 1e-4 1e-4))
                        (f64x2.add (f64x2.sub (local.get $cross) (local.get $muProduct)) (v128.const f64x2 4.5e-4 4.5e-4)))
                      (f64x2.mul
                        (f64x2.add
                          (f64x2.add (local.get $meanSqR) (v128.load (i32.add (local.get $aMeanSq) (local.get $q))))
                          (v128.const f64x2 1e-4 1e-4))
                        (v128.bitselect
                          (v128.const f64x2 4.5e-4 4.5e-4)
                          (f64x2.add (local.get $deviations) (v128.const f64x2 4.5e-4 4.5e-4))
                          (f64x2.lt (local.get $deviations) (v128.const f64x2 0 0)))))))
                (local.set $q (i32.add (local.get $q) (i32.const 16)))
                (br $offsets)))
            (local.set $j (i32.add (local.get $j) (i32.const 1)))
            (br $columns)))
        (local.set $band (i32.add (local.get $band) (i32.const 1)))
        (br $bands)))))

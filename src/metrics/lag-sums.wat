;; The sums behind local-align.ts's fine search as a WebAssembly SIMD kernel: for each lag, the window's sum
;; and energy under the segment and the segment's cross product with it, two neighbouring lags per f64x2
;; vector, with the scalar code's IEEE operations in the same order (samples taken in pairs: the pair's sum
;; and energy added to one chain each, the cross product in two chains, even and odd samples), so the
;; results are the same bits. Compiled by scripts/build-wasm.mjs into lag-sums-wasm.ts.
;;
;; Memory (imported as env.memory: see wasm-kernel.ts), laid out by local-align.ts (byte offsets):
;;   $segment: $n f64;
;;   $window: f64, at least $to + $n + 2 of them (one past the last lag's span: the odd lag's lane);
;;   $out: per lag $from..$to (rounded up to a pair), three f64: sum, energy, cross product.
(module
  (import "env" "memory" (memory 1))
  (func (export "lagSums")
    (param $segment i32) (param $n i32) (param $window i32) (param $from i32) (param $to i32) (param $out i32)
    (local $lag i32) (local $i i32) (local $pairEnd i32) (local $y i32) (local $x i32) (local $o i32)
    (local $sum v128) (local $energy v128) (local $cross0 v128) (local $cross1 v128) (local $y0 v128) (local $y1 v128)
    (local.set $pairEnd (i32.and (local.get $n) (i32.const -2)))
    (local.set $lag (local.get $from))
    (local.set $o (local.get $out))
    (block $lagsDone
      (loop $lags
        (br_if $lagsDone (i32.gt_s (local.get $lag) (local.get $to)))
        (local.set $sum (v128.const f64x2 0 0))
        (local.set $energy (v128.const f64x2 0 0))
        (local.set $cross0 (v128.const f64x2 0 0))
        (local.set $cross1 (v128.const f64x2 0 0))
        (local.set $y (i32.add (local.get $window) (i32.shl (local.get $lag) (i32.const 3))))
        (local.set $x (local.get $segment))
        (local.set $i (i32.const 0))
        (block $samplesDone
          (loop $samples
            (br_if $samplesDone (i32.ge_u (local.get $i) (local.get $pairEnd)))
            ;; Lanes: this lag and the next. y0 = window[lag + i], y1 = window[lag + i + 1].
            (local.set $y0 (v128.load (local.get $y)))
            (local.set $y1 (v128.load offset=8 (local.get $y)))
            (local.set $sum (f64x2.add (local.get $sum) (f64x2.add (local.get $y0) (local.get $y1))))
            (local.set $energy (f64x2.add (local.get $energy)
              (f64x2.add (f64x2.mul (local.get $y0) (local.get $y0)) (f64x2.mul (local.get $y1) (local.get $y1)))))
            (local.set $cross0 (f64x2.add (local.get $cross0) (f64x2.mul (v128.load64_splat (local.get $x)) (local.get $y0))))
            (local.set $cross1 (f64x2.add (local.get $cross1) (f64x2.mul (v128.load64_splat offset=8 (local.get $x)) (local.get $y1))))
            (local.set $y (i32.add (local.get $y) (i32.const 16)))
            (local.set $x (i32.add (local.get $x) (i32.const 16)))
            (local.set $i (i32.add (local.get $i) (i32.const 2)))
            (br $samples)))
        ;; An odd sample out: into the sum, the energy and the even chain.
        (if (i32.lt_u (local.get $pairEnd) (local.get $n))
          (then
            (local.set $y0 (v128.load (local.get $y)))
            (local.set $sum (f64x2.add (local.get $sum) (local.get $y0)))
            (local.set $energy (f64x2.add (local.get $energy) (f64x2.mul (local.get $y0) (local.get $y0))))
            (local.set $cross0 (f64x2.add (local.get $cross0) (f64x2.mul (v128.load64_splat (local.get $x)) (local.get $y0))))))
        (local.set $cross0 (f64x2.add (local.get $cross0) (local.get $cross1)))
        (f64.store (local.get $o) (f64x2.extract_lane 0 (local.get $sum)))
        (f64.store offset=8 (local.get $o) (f64x2.extract_lane 0 (local.get $energy)))
        (f64.store offset=16 (local.get $o) (f64x2.extract_lane 0 (local.get $cross0)))
        (f64.store offset=24 (local.get $o) (f64x2.extract_lane 1 (local.get $sum)))
        (f64.store offset=32 (local.get $o) (f64x2.extract_lane 1 (local.get $energy)))
        (f64.store offset=40 (local.get $o) (f64x2.extract_lane 1 (local.get $cross0)))
        (local.set $o (i32.add (local.get $o) (i32.const 48)))
        (local.set $lag (i32.add (local.get $lag) (i32.const 2)))
        (br $lags)))))

;; resample-10k.ts's polyphase filter as a WebAssembly SIMD kernel: two signals converted at once, one in
;; each lane of an f64x2 vector, with the scalar code's IEEE operations in the same order (per output, the
;; even taps and the odd taps summed in two chains from 0, then added), so the results are the same bits.
;; Two outputs of the same phase are computed together: four independent chains hide the adder's latency.
;; Compiled by scripts/build-wasm.mjs into polyphase-pair-wasm.ts.
;;
;; Memory (imported as env.memory: see wasm-kernel.ts), laid out by resample-10k.ts (byte offsets passed in):
;;   $table: up rows of $taps f64 (the phases' taps; $taps is even);
;;   $input: the two signals interleaved, (a[n], b[n]) per 16 bytes, zero-padded on both sides;
;;   $outA, $outB: out, f64 per output sample.
(module
  (import "env" "memory" (memory 1))

  ;; input[pad + n] = (a[n], b[n]) for n < $length (b[n] = 0 from $lengthB on); zeros in the pads.
  (func (export "interleave")
    (param $a i32) (param $b i32) (param $length i32) (param $lengthB i32) (param $pad i32) (param $input i32)
    (local $n i32) (local $at i32) (local $end i32)
    (local.set $end (i32.add (local.get $input) (i32.shl (local.get $pad) (i32.const 4))))
    (local.set $at (local.get $input))
    (block $padDone
      (loop $padLoop
        (br_if $padDone (i32.ge_u (local.get $at) (local.get $end)))
        (v128.store (local.get $at) (v128.const f64x2 0 0))
        (local.set $at (i32.add (local.get $at) (i32.const 16)))
        (br $padLoop)))
    (block $bothDone
      (loop $both
        (br_if $bothDone (i32.ge_u (local.get $n) (local.get $lengthB)))
        (f64.store (local.get $at) (f64.promote_f32 (f32.load (i32.add (local.get $a) (i32.shl (local.get $n) (i32.const 2))))))
        (f64.store offset=8 (local.get $at) (f64.promote_f32 (f32.load (i32.add (local.get $b) (i32.shl (local.get $n) (i32.const 2))))))
        (local.set $at (i32.add (local.get $at) (i32.const 16)))
        (local.set $n (i32.add (local.get $n) (i32.const 1)))
        (br $both)))
    (block $aDone
      (loop $aOnly
        (br_if $aDone (i32.ge_u (local.get $n) (local.get $length)))
        (f64.store (local.get $at) (f64.promote_f32 (f32.load (i32.add (local.get $a) (i32.shl (local.get $n) (i32.const 2))))))
        (f64.store offset=8 (local.get $at) (f64.const 0))
        (local.set $at (i32.add (local.get $at) (i32.const 16)))
        (local.set $n (i32.add (local.get $n) (i32.const 1)))
        (br $aOnly)))
    (local.set $end (i32.add (local.get $at) (i32.shl (local.get $pad) (i32.const 4))))
    (block $tailDone
      (loop $tailLoop
        (br_if $tailDone (i32.ge_u (local.get $at) (local.get $end)))
        (v128.store (local.get $at) (v128.const f64x2 0 0))
        (local.set $at (i32.add (local.get $at) (i32.const 16)))
        (br $tailLoop))))

  ;; Output m of phase p = m mod up reads row p and the inputs from sample floor(m down / up) + $start on.
  (func (export "resample")
    (param $table i32) (param $taps i32) (param $up i32) (param $down i32) (param $start i32) (param $input i32)
    (param $outLength i32) (param $outA i32) (param $outB i32)
    (local $phase i32) (local $phases i32) (local $base i32) (local $row i32) (local $m i32) (local $p0 i32)
    (local $step i32) (local $rowEnd i32) (local $t i32) (local $x i32)
    (local $tap0 v128) (local $tap1 v128) (local $acc0 v128) (local $acc1 v128) (local $acc2 v128) (local $acc3 v128)
    (local $sum v128)
    (local.set $phases (select (local.get $up) (local.get $outLength) (i32.lt_u (local.get $up) (local.get $outLength))))
    (local.set $step (i32.shl (local.get $down) (i32.const 4)))
    (block $phasesDone
      (loop $phaseLoop
        (br_if $phasesDone (i32.ge_u (local.get $phase) (local.get $phases)))
        (local.set $base (i32.div_u (i32.mul (local.get $phase) (local.get $down)) (local.get $up)))
        (local.set $row (i32.add (local.get $table) (i32.shl
          (i32.mul (i32.sub (i32.mul (local.get $phase) (local.get $down)) (i32.mul (local.get $base) (local.get $up))) (local.get $taps))
          (i32.const 3))))
        (local.set $rowEnd (i32.add (local.get $row) (i32.shl (local.get $taps) (i32.const 3))))
        (local.set $m (local.get $phase))
        (local.set $p0 (i32.add (local.get $input) (i32.shl (i32.add (local.get $base) (local.get $start)) (i32.const 4))))
        ;; Outputs m and m + up, whose inputs lie $step bytes apart.
        (block $pairsDone
          (loop $pairs
            (br_if $pairsDone (i32.ge_u (i32.add (local.get $m) (local.get $up)) (local.get $outLength)))
            (local.set $acc0 (v128.const f64x2 0 0))
            (local.set $acc1 (v128.const f64x2 0 0))
            (local.set $acc2 (v128.const f64x2 0 0))
            (local.set $acc3 (v128.const f64x2 0 0))
            (local.set $t (local.get $row))
            (local.set $x (local.get $p0))
            (loop $tapLoop
              (local.set $tap0 (v128.load64_splat (local.get $t)))
              (local.set $tap1 (v128.load64_splat offset=8 (local.get $t)))
              (local.set $acc0 (f64x2.add (local.get $acc0) (f64x2.mul (local.get $tap0) (v128.load (local.get $x)))))
              (local.set $acc1 (f64x2.add (local.get $acc1) (f64x2.mul (local.get $tap1) (v128.load offset=16 (local.get $x)))))
              (local.set $acc2 (f64x2.add (local.get $acc2)
                (f64x2.mul (local.get $tap0) (v128.load (i32.add (local.get $x) (local.get $step))))))
              (local.set $acc3 (f64x2.add (local.get $acc3)
                (f64x2.mul (local.get $tap1) (v128.load offset=16 (i32.add (local.get $x) (local.get $step))))))
              (local.set $x (i32.add (local.get $x) (i32.const 32)))
              (local.set $t (i32.add (local.get $t) (i32.const 16)))
              (br_if $tapLoop (i32.lt_u (local.get $t) (local.get $rowEnd))))
            (local.set $sum (f64x2.add (local.get $acc0) (local.get $acc1)))
            (f64.store (i32.add (local.get $outA) (i32.shl (local.get $m) (i32.const 3))) (f64x2.extract_lane 0 (local.get $sum)))
            (f64.store (i32.add (local.get $outB) (i32.shl (local.get $m) (i32.const 3))) (f64x2.extract_lane 1 (local.get $sum)))
            (local.set $m (i32.add (local.get $m) (local.get $up)))
            (local.set $sum (f64x2.add (local.get $acc2) (local.get $acc3)))
            (f64.store (i32.add (local.get $outA) (i32.shl (local.get $m) (i32.const 3))) (f64x2.extract_lane 0 (local.get $sum)))
            (f64.store (i32.add (local.get $outB) (i32.shl (local.get $m) (i32.const 3))) (f64x2.extract_lane 1 (local.get $sum)))
            (local.set $m (i32.add (local.get $m) (local.get $up)))
            (local.set $p0 (i32.add (local.get $p0) (i32.shl (local.get $step) (i32.const 1))))
            (br $pairs)))
        ;; The phase's last output, when its count is odd.
        (if (i32.lt_u (local.get $m) (local.get $outLength))
          (then
            (local.set $acc0 (v128.const f64x2 0 0))
            (local.set $acc1 (v128.const f64x2 0 0))
            (local.set $t (local.get $row))
            (local.set $x (local.get $p0))
            (loop $lastTaps
              (local.set $acc0 (f64x2.add (local.get $acc0) (f64x2.mul (v128.load64_splat (local.get $t)) (v128.load (local.get $x)))))
              (local.set $acc1 (f64x2.add (local.get $acc1) (f64x2.mul (v128.load64_splat offset=8 (local.get $t)) (v128.load offset=16 (local.get $x)))))
              (local.set $x (i32.add (local.get $x) (i32.const 32)))
              (local.set $t (i32.add (local.get $t) (i32.const 16)))
              (br_if $lastTaps (i32.lt_u (local.get $t) (local.get $rowEnd))))
            (local.set $sum (f64x2.add (local.get $acc0) (local.get $acc1)))
            (f64.store (i32.add (local.get $outA) (i32.shl (local.get $m) (i32.const 3))) (f64x2.extract_lane 0 (local.get $sum)))
            (f64.store (i32.add (local.get $outB) (i32.shl (local.get $m) (i32.const 3))) (f64x2.extract_lane 1 (local.get $sum)))))
        (local.set $phase (i32.add (local.get $phase) (i32.const 1)))
        (br $phaseLoop)))))

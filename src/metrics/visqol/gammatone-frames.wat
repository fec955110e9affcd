;; ViSQOL's gammatone frame analysis (gammatone.ts) as a WebAssembly SIMD kernel: each Hann-windowed frame
;; through every band's four biquads from rest, giving each band's output energy. The lowest bands run in
;; f64, two per f64x2 vector, performing the scalar code's IEEE operations in the same order; the others in
;; f32, four per f32x4 vector, at about 0.6 of the cost (frame-energies.ts says why that is precise enough).
;; Two frames go through each band vector together: a biquad's state is a loop-carried recurrence (an add,
;; a multiply and a subtract deep), so one frame alone leaves the floating-point units waiting on it.
;; Compiled by scripts/build-wasm.mjs into gammatone-frames-wasm.ts.
;;
;; Memory, laid out by frame-energies.ts (byte offsets passed in):
;;   $pairBands: per f64 band pair, six f64x2 coefficients k1 k2 k3 k4 a1 -a2 (lane 0 the lower band);
;;   $quadBands: per f32 band quad, the same six as f32x4;
;;   $hann: the window (f64); $frame, $frame32: scratch for two windowed frames, interleaved sample by
;;     sample (frame 0's sample i at 2 i, frame 1's at 2 i + 1), in f64 and in f32;
;;   $signal: the samples (f64), frames $count even;
;;   $out: per frame, the energy of each f64 band (pairs * 2 f64), then of each f32 band (quads * 4 f32).
(module
  (import "env" "memory" (memory 1))
  (func (export "frames")
    (param $signal i32) (param $count i32) (param $hop i32) (param $size i32) (param $hann i32)
    (param $frame i32) (param $frame32 i32) (param $pairBands i32) (param $pairs i32) (param $quadBands i32)
    (param $quads i32) (param $out i32)
    (local $f i32) (local $c i32) (local $i i32) (local $p i32) (local $from i32) (local $to i32) (local $coeff i32)
    (local $n i32) (local $end i32) (local $end32 i32) (local $stride i32) (local $frameOut i32) (local $windowed f64)
    (local $y v128) (local $k1 v128) (local $k2 v128) (local $k3 v128) (local $k4 v128) (local $a1 v128) (local $na2 v128)
    (local $x0 v128) (local $y0 v128) (local $e0 v128)
    (local $s1a0 v128) (local $s1b0 v128) (local $s2a0 v128) (local $s2b0 v128) (local $s3a0 v128) (local $s3b0 v128) (local $s4a0 v128) (local $s4b0 v128)
    (local $x1 v128) (local $y1 v128) (local $e1 v128)
    (local $s1a1 v128) (local $s1b1 v128) (local $s2a1 v128) (local $s2b1 v128) (local $s3a1 v128) (local $s3b1 v128) (local $s4a1 v128) (local $s4b1 v128)
    (local.set $end (i32.add (local.get $frame) (i32.shl (local.get $size) (i32.const 4))))
    (local.set $end32 (i32.add (local.get $frame32) (i32.shl (local.get $size) (i32.const 3))))
    ;; Bytes of one frame's energies.
    (local.set $stride (i32.shl (i32.add (local.get $pairs) (local.get $quads)) (i32.const 4)))
    (block $framesDone
      (loop $frames
        (br_if $framesDone (i32.ge_u (local.get $f) (local.get $count)))
        ;; Frame f + c, sample i: signal[(f + c) hop + i] * hann[i], at 2 i + c in $frame, rounded to f32 in $frame32.
        (local.set $c (i32.const 0))
        (loop $windowFrames
          (local.set $from (i32.add (local.get $signal) (i32.shl (i32.mul (i32.add (local.get $f) (local.get $c)) (local.get $hop)) (i32.const 3))))
          (local.set $i (i32.const 0))
          (block $windowDone
            (loop $window
              (br_if $windowDone (i32.ge_u (local.get $i) (local.get $size)))
              (local.set $windowed
                (f64.mul
                  (f64.load (i32.add (local.get $from) (i32.shl (local.get $i) (i32.const 3))))
                  (f64.load (i32.add (local.get $hann) (i32.shl (local.get $i) (i32.const 3))))))
              (local.set $to (i32.add (i32.shl (local.get $i) (i32.const 1)) (local.get $c)))
              (f64.store (i32.add (local.get $frame) (i32.shl (local.get $to) (i32.const 3))) (local.get $windowed))
              (f32.store (i32.add (local.get $frame32) (i32.shl (local.get $to) (i32.const 2))) (f32.demote_f64 (local.get $windowed)))
              (local.set $i (i32.add (local.get $i) (i32.const 1)))
              (br $window)))
          (local.set $c (i32.add (local.get $c) (i32.const 1)))
          (br_if $windowFrames (i32.lt_u (local.get $c) (i32.const 2))))
        (local.set $frameOut (i32.add (local.get $out) (i32.mul (local.get $f) (local.get $stride))))
        (local.set $p (i32.const 0))
        (block $pairsDone
          (loop $pairLoop
            (br_if $pairsDone (i32.ge_u (local.get $p) (local.get $pairs)))
            (local.set $coeff (i32.add (local.get $pairBands) (i32.mul (local.get $p) (i32.const 96))))
            (local.set $k1 (v128.load offset=0 (local.get $coeff)))
            (local.set $k2 (v128.load offset=16 (local.get $coeff)))
            (local.set $k3 (v128.load offset=32 (local.get $coeff)))
            (local.set $k4 (v128.load offset=48 (local.get $coeff)))
            (local.set $a1 (v128.load offset=64 (local.get $coeff)))
            (local.set $na2 (v128.load offset=80 (local.get $coeff)))
            (local.set $s1a0 (v128.const f64x2 0 0)) (local.set $s1b0 (v128.const f64x2 0 0)) (local.set $s2a0 (v128.const f64x2 0 0)) (local.set $s2b0 (v128.const f64x2 0 0)) (local.set $s3a0 (v128.const f64x2 0 0)) (local.set $s3b0 (v128.const f64x2 0 0)) (local.set $s4a0 (v128.const f64x2 0 0)) (local.set $s4b0 (v128.const f64x2 0 0)) (local.set $e0 (v128.const f64x2 0 0))
            (local.set $s1a1 (v128.const f64x2 0 0)) (local.set $s1b1 (v128.const f64x2 0 0)) (local.set $s2a1 (v128.const f64x2 0 0)) (local.set $s2b1 (v128.const f64x2 0 0)) (local.set $s3a1 (v128.const f64x2 0 0)) (local.set $s3b1 (v128.const f64x2 0 0)) (local.set $s4a1 (v128.const f64x2 0 0)) (local.set $s4b1 (v128.const f64x2 0 0)) (local.set $e1 (v128.const f64x2 0 0))
            ;; Transposed direct form II, four stages: y = x + sa; sa = (k x + sb) - a1 y; sb = -a2 y; the two
            ;; frames' stages interleaved.
            (local.set $n (local.get $frame))
            (loop $samples
              (local.set $x0 (v128.load64_splat (local.get $n)))
              (local.set $x1 (v128.load64_splat offset=8 (local.get $n)))
              (local.set $y (f64x2.add (local.get $x0) (local.get $s1a0)))
              (local.set $s1a0 (f64x2.sub (f64x2.add (f64x2.mul (local.get $k1) (local.get $x0)) (local.get $s1b0)) (f64x2.mul (local.get $a1) (local.get $y))))
              (local.set $s1b0 (f64x2.mul (local.get $na2) (local.get $y)))
              (local.set $y0 (local.get $y))
              (local.set $y (f64x2.add (local.get $x1) (local.get $s1a1)))
              (local.set $s1a1 (f64x2.sub (f64x2.add (f64x2.mul (local.get $k1) (local.get $x1)) (local.get $s1b1)) (f64x2.mul (local.get $a1) (local.get $y))))
              (local.set $s1b1 (f64x2.mul (local.get $na2) (local.get $y)))
              (local.set $y1 (local.get $y))
              (local.set $y (f64x2.add (local.get $y0) (local.get $s2a0)))
              (local.set $s2a0 (f64x2.sub (f64x2.add (f64x2.mul (local.get $k2) (local.get $y0)) (local.get $s2b0)) (f64x2.mul (local.get $a1) (local.get $y))))
              (local.set $s2b0 (f64x2.mul (local.get $na2) (local.get $y)))
              (local.set $y0 (local.get $y))
              (local.set $y (f64x2.add (local.get $y1) (local.get $s2a1)))
              (local.set $s2a1 (f64x2.sub (f64x2.add (f64x2.mul (local.get $k2) (local.get $y1)) (local.get $s2b1)) (f64x2.mul (local.get $a1) (local.get $y))))
              (local.set $s2b1 (f64x2.mul (local.get $na2) (local.get $y)))
              (local.set $y1 (local.get $y))
              (local.set $y (f64x2.add (local.get $y0) (local.get $s3a0)))
              (local.set $s3a0 (f64x2.sub (f64x2.add (f64x2.mul (local.get $k3) (local.get $y0)) (local.get $s3b0)) (f64x2.mul (local.get $a1) (local.get $y))))
              (local.set $s3b0 (f64x2.mul (local.get $na2) (local.get $y)))
              (local.set $y0 (local.get $y))
              (local.set $y (f64x2.add (local.get $y1) (local.get $s3a1)))
              (local.set $s3a1 (f64x2.sub (f64x2.add (f64x2.mul (local.get $k3) (local.get $y1)) (local.get $s3b1)) (f64x2.mul (local.get $a1) (local.get $y))))
              (local.set $s3b1 (f64x2.mul (local.get $na2) (local.get $y)))
              (local.set $y1 (local.get $y))
              (local.set $y (f64x2.add (local.get $y0) (local.get $s4a0)))
              (local.set $s4a0 (f64x2.sub (f64x2.add (f64x2.mul (local.get $k4) (local.get $y0)) (local.get $s4b0)) (f64x2.mul (local.get $a1) (local.get $y))))
              (local.set $s4b0 (f64x2.mul (local.get $na2) (local.get $y)))
              (local.set $y0 (local.get $y))
              (local.set $y (f64x2.add (local.get $y1) (local.get $s4a1)))
              (local.set $s4a1 (f64x2.sub (f64x2.add (f64x2.mul (local.get $k4) (local.get $y1)) (local.get $s4b1)) (f64x2.mul (local.get $a1) (local.get $y))))
              (local.set $s4b1 (f64x2.mul (local.get $na2) (local.get $y)))
              (local.set $y1 (local.get $y))
              (local.set $e0 (f64x2.add (local.get $e0) (f64x2.mul (local.get $y0) (local.get $y0))))
              (local.set $e1 (f64x2.add (local.get $e1) (f64x2.mul (local.get $y1) (local.get $y1))))
              (local.set $n (i32.add (local.get $n) (i32.const 16)))
              (br_if $samples (i32.lt_u (local.get $n) (local.get $end))))
            (v128.store (i32.add (local.get $frameOut) (i32.shl (local.get $p) (i32.const 4))) (local.get $e0))
            (v128.store (i32.add (i32.add (local.get $frameOut) (local.get $stride)) (i32.shl (local.get $p) (i32.const 4))) (local.get $e1))
            (local.set $p (i32.add (local.get $p) (i32.const 1)))
            (br $pairLoop)))
        (local.set $p (i32.const 0))
        (block $quadsDone
          (loop $quadLoop
            (br_if $quadsDone (i32.ge_u (local.get $p) (local.get $quads)))
            (local.set $coeff (i32.add (local.get $quadBands) (i32.mul (local.get $p) (i32.const 96))))
            (local.set $k1 (v128.load offset=0 (local.get $coeff)))
            (local.set $k2 (v128.load offset=16 (local.get $coeff)))
            (local.set $k3 (v128.load offset=32 (local.get $coeff)))
            (local.set $k4 (v128.load offset=48 (local.get $coeff)))
            (local.set $a1 (v128.load offset=64 (local.get $coeff)))
            (local.set $na2 (v128.load offset=80 (local.get $coeff)))
            (local.set $s1a0 (v128.const f32x4 0 0 0 0)) (local.set $s1b0 (v128.const f32x4 0 0 0 0)) (local.set $s2a0 (v128.const f32x4 0 0 0 0)) (local.set $s2b0 (v128.const f32x4 0 0 0 0)) (local.set $s3a0 (v128.const f32x4 0 0 0 0)) (local.set $s3b0 (v128.const f32x4 0 0 0 0)) (local.set $s4a0 (v128.const f32x4 0 0 0 0)) (local.set $s4b0 (v128.const f32x4 0 0 0 0)) (local.set $e0 (v128.const f32x4 0 0 0 0))
            (local.set $s1a1 (v128.const f32x4 0 0 0 0)) (local.set $s1b1 (v128.const f32x4 0 0 0 0)) (local.set $s2a1 (v128.const f32x4 0 0 0 0)) (local.set $s2b1 (v128.const f32x4 0 0 0 0)) (local.set $s3a1 (v128.const f32x4 0 0 0 0)) (local.set $s3b1 (v128.const f32x4 0 0 0 0)) (local.set $s4a1 (v128.const f32x4 0 0 0 0)) (local.set $s4b1 (v128.const f32x4 0 0 0 0)) (local.set $e1 (v128.const f32x4 0 0 0 0))
            ;; The same stages in f32.
            (local.set $n (local.get $frame32))
            (loop $samples
              (local.set $x0 (v128.load32_splat (local.get $n)))
              (local.set $x1 (v128.load32_splat offset=4 (local.get $n)))
              (local.set $y (f32x4.add (local.get $x0) (local.get $s1a0)))
              (local.set $s1a0 (f32x4.sub (f32x4.add (f32x4.mul (local.get $k1) (local.get $x0)) (local.get $s1b0)) (f32x4.mul (local.get $a1) (local.get $y))))
              (local.set $s1b0 (f32x4.mul (local.get $na2) (local.get $y)))
              (local.set $y0 (local.get $y))
              (local.set $y (f32x4.add (local.get $x1) (local.get $s1a1)))
              (local.set $s1a1 (f32x4.sub (f32x4.add (f32x4.mul (local.get $k1) (local.get $x1)) (local.get $s1b1)) (f32x4.mul (local.get $a1) (local.get $y))))
              (local.set $s1b1 (f32x4.mul (local.get $na2) (local.get $y)))
              (local.set $y1 (local.get $y))
              (local.set $y (f32x4.add (local.get $y0) (local.get $s2a0)))
              (local.set $s2a0 (f32x4.sub (f32x4.add (f32x4.mul (local.get $k2) (local.get $y0)) (local.get $s2b0)) (f32x4.mul (local.get $a1) (local.get $y))))
              (local.set $s2b0 (f32x4.mul (local.get $na2) (local.get $y)))
              (local.set $y0 (local.get $y))
              (local.set $y (f32x4.add (local.get $y1) (local.get $s2a1)))
              (local.set $s2a1 (f32x4.sub (f32x4.add (f32x4.mul (local.get $k2) (local.get $y1)) (local.get $s2b1)) (f32x4.mul (local.get $a1) (local.get $y))))
              (local.set $s2b1 (f32x4.mul (local.get $na2) (local.get $y)))
              (local.set $y1 (local.get $y))
              (local.set $y (f32x4.add (local.get $y0) (local.get $s3a0)))
              (local.set $s3a0 (f32x4.sub (f32x4.add (f32x4.mul (local.get $k3) (local.get $y0)) (local.get $s3b0)) (f32x4.mul (local.get $a1) (local.get $y))))
              (local.set $s3b0 (f32x4.mul (local.get $na2) (local.get $y)))
              (local.set $y0 (local.get $y))
              (local.set $y (f32x4.add (local.get $y1) (local.get $s3a1)))
              (local.set $s3a1 (f32x4.sub (f32x4.add (f32x4.mul (local.get $k3) (local.get $y1)) (local.get $s3b1)) (f32x4.mul (local.get $a1) (local.get $y))))
              (local.set $s3b1 (f32x4.mul (local.get $na2) (local.get $y)))
              (local.set $y1 (local.get $y))
              (local.set $y (f32x4.add (local.get $y0) (local.get $s4a0)))
              (local.set $s4a0 (f32x4.sub (f32x4.add (f32x4.mul (local.get $k4) (local.get $y0)) (local.get $s4b0)) (f32x4.mul (local.get $a1) (local.get $y))))
              (local.set $s4b0 (f32x4.mul (local.get $na2) (local.get $y)))
              (local.set $y0 (local.get $y))
              (local.set $y (f32x4.add (local.get $y1) (local.get $s4a1)))
              (local.set $s4a1 (f32x4.sub (f32x4.add (f32x4.mul (local.get $k4) (local.get $y1)) (local.get $s4b1)) (f32x4.mul (local.get $a1) (local.get $y))))
              (local.set $s4b1 (f32x4.mul (local.get $na2) (local.get $y)))
              (local.set $y1 (local.get $y))
              (local.set $e0 (f32x4.add (local.get $e0) (f32x4.mul (local.get $y0) (local.get $y0))))
              (local.set $e1 (f32x4.add (local.get $e1) (f32x4.mul (local.get $y1) (local.get $y1))))
              (local.set $n (i32.add (local.get $n) (i32.const 8)))
              (br_if $samples (i32.lt_u (local.get $n) (local.get $end32))))
            (v128.store (i32.add (local.get $frameOut) (i32.shl (i32.add (local.get $pairs) (local.get $p)) (i32.const 4))) (local.get $e0))
            (v128.store (i32.add (i32.add (local.get $frameOut) (local.get $stride)) (i32.shl (i32.add (local.get $pairs) (local.get $p)) (i32.const 4))) (local.get $e1))
            (local.set $p (i32.add (local.get $p) (i32.const 1)))
            (br $quadLoop)))
        (local.set $f (i32.add (local.get $f) (i32.const 2)))
        (br $frames)))))

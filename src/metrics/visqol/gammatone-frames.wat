;; ViSQOL's gammatone frame analysis (gammatone.ts) as a WebAssembly SIMD kernel: each Hann-windowed frame
;; through every band's four biquads from rest, giving each band's output energy. The lowest bands run in
;; f64, two per f64x2 vector, performing the scalar code's IEEE operations in the same order; the others in
;; f32, four per f32x4 vector, at about 0.6 of the cost (frame-energies.ts says why that is precise enough).
;; Compiled by scripts/build-wasm.mjs into gammatone-frames-wasm.ts.
;;
;; Memory, laid out by frame-energies.ts (byte offsets passed in):
;;   $pairBands: per f64 band pair, six f64x2 coefficients k1 k2 k3 k4 a1 -a2 (lane 0 the lower band);
;;   $quadBands: per f32 band quad, the same six as f32x4;
;;   $hann: the window (f64); $frame, $frame32: scratch for one windowed frame in f64 and in f32;
;;   $signal: the samples (f64);
;;   $out: per frame, the energy of each f64 band (pairs * 2 f64), then of each f32 band (quads * 4 f32).
(module
  (memory (export "memory") 1)
  (func (export "frames")
    (param $signal i32) (param $count i32) (param $hop i32) (param $size i32) (param $hann i32)
    (param $frame i32) (param $frame32 i32) (param $pairBands i32) (param $pairs i32) (param $quadBands i32)
    (param $quads i32) (param $out i32)
    (local $f i32) (local $i i32) (local $p i32) (local $from i32) (local $coeff i32) (local $n i32) (local $end i32)
    (local $end32 i32) (local $frameOut i32) (local $windowed f64)
    (local $x v128) (local $y v128) (local $energy v128)
    (local $k1 v128) (local $k2 v128) (local $k3 v128) (local $k4 v128) (local $a1 v128) (local $na2 v128)
    (local $s1a v128) (local $s1b v128) (local $s2a v128) (local $s2b v128)
    (local $s3a v128) (local $s3b v128) (local $s4a v128) (local $s4b v128)
    (local.set $end (i32.add (local.get $frame) (i32.shl (local.get $size) (i32.const 3))))
    (local.set $end32 (i32.add (local.get $frame32) (i32.shl (local.get $size) (i32.const 2))))
    (block $framesDone
      (loop $frames
        (br_if $framesDone (i32.ge_u (local.get $f) (local.get $count)))
        ;; frame[i] = signal[f * hop + i] * hann[i], and frame32[i] the same rounded to f32
        (local.set $from (i32.add (local.get $signal) (i32.shl (i32.mul (local.get $f) (local.get $hop)) (i32.const 3))))
        (local.set $i (i32.const 0))
        (block $windowDone
          (loop $window
            (br_if $windowDone (i32.ge_u (local.get $i) (local.get $size)))
            (local.set $windowed
              (f64.mul
                (f64.load (i32.add (local.get $from) (i32.shl (local.get $i) (i32.const 3))))
                (f64.load (i32.add (local.get $hann) (i32.shl (local.get $i) (i32.const 3))))))
            (f64.store (i32.add (local.get $frame) (i32.shl (local.get $i) (i32.const 3))) (local.get $windowed))
            (f32.store (i32.add (local.get $frame32) (i32.shl (local.get $i) (i32.const 2))) (f32.demote_f64 (local.get $windowed)))
            (local.set $i (i32.add (local.get $i) (i32.const 1)))
            (br $window)))
        ;; This frame's energies: pairs * 16 + quads * 16 bytes.
        (local.set $frameOut (i32.add (local.get $out)
          (i32.shl (i32.mul (local.get $f) (i32.add (local.get $pairs) (local.get $quads))) (i32.const 4))))
        (local.set $p (i32.const 0))
        (block $pairsDone
          (loop $pairLoop
            (br_if $pairsDone (i32.ge_u (local.get $p) (local.get $pairs)))
            (local.set $coeff (i32.add (local.get $pairBands) (i32.mul (local.get $p) (i32.const 96))))
            (local.set $n (local.get $frame))
            (local.set $k1 (v128.load offset=0 (local.get $coeff)))
            (local.set $k2 (v128.load offset=16 (local.get $coeff)))
            (local.set $k3 (v128.load offset=32 (local.get $coeff)))
            (local.set $k4 (v128.load offset=48 (local.get $coeff)))
            (local.set $a1 (v128.load offset=64 (local.get $coeff)))
            (local.set $na2 (v128.load offset=80 (local.get $coeff)))
            (local.set $s1a (v128.const f64x2 0 0)) (local.set $s1b (v128.const f64x2 0 0))
            (local.set $s2a (v128.const f64x2 0 0)) (local.set $s2b (v128.const f64x2 0 0))
            (local.set $s3a (v128.const f64x2 0 0)) (local.set $s3b (v128.const f64x2 0 0))
            (local.set $s4a (v128.const f64x2 0 0)) (local.set $s4b (v128.const f64x2 0 0))
            (local.set $energy (v128.const f64x2 0 0))
            ;; Transposed direct form II, four stages: y = x + sa; sa = (k x + sb) - a1 y; sb = -a2 y.
            (block $samplesDone
              (loop $samples
                (br_if $samplesDone (i32.ge_u (local.get $n) (local.get $end)))
                (local.set $x (f64x2.splat (f64.load (local.get $n))))
                (local.set $y (f64x2.add (local.get $x) (local.get $s1a)))
                (local.set $s1a (f64x2.sub (f64x2.add (f64x2.mul (local.get $k1) (local.get $x)) (local.get $s1b)) (f64x2.mul (local.get $a1) (local.get $y))))
                (local.set $s1b (f64x2.mul (local.get $na2) (local.get $y)))
                (local.set $x (local.get $y))
                (local.set $y (f64x2.add (local.get $x) (local.get $s2a)))
                (local.set $s2a (f64x2.sub (f64x2.add (f64x2.mul (local.get $k2) (local.get $x)) (local.get $s2b)) (f64x2.mul (local.get $a1) (local.get $y))))
                (local.set $s2b (f64x2.mul (local.get $na2) (local.get $y)))
                (local.set $x (local.get $y))
                (local.set $y (f64x2.add (local.get $x) (local.get $s3a)))
                (local.set $s3a (f64x2.sub (f64x2.add (f64x2.mul (local.get $k3) (local.get $x)) (local.get $s3b)) (f64x2.mul (local.get $a1) (local.get $y))))
                (local.set $s3b (f64x2.mul (local.get $na2) (local.get $y)))
                (local.set $x (local.get $y))
                (local.set $y (f64x2.add (local.get $x) (local.get $s4a)))
                (local.set $s4a (f64x2.sub (f64x2.add (f64x2.mul (local.get $k4) (local.get $x)) (local.get $s4b)) (f64x2.mul (local.get $a1) (local.get $y))))
                (local.set $s4b (f64x2.mul (local.get $na2) (local.get $y)))
                (local.set $energy (f64x2.add (local.get $energy) (f64x2.mul (local.get $y) (local.get $y))))
                (local.set $n (i32.add (local.get $n) (i32.const 8)))
                (br $samples)))
            (v128.store (i32.add (local.get $frameOut) (i32.shl (local.get $p) (i32.const 4))) (local.get $energy))
            (local.set $p (i32.add (local.get $p) (i32.const 1)))
            (br $pairLoop)))
        (local.set $p (i32.const 0))
        (block $quadsDone
          (loop $quadLoop
            (br_if $quadsDone (i32.ge_u (local.get $p) (local.get $quads)))
            (local.set $coeff (i32.add (local.get $quadBands) (i32.mul (local.get $p) (i32.const 96))))
            (local.set $n (local.get $frame32))
            (local.set $k1 (v128.load offset=0 (local.get $coeff)))
            (local.set $k2 (v128.load offset=16 (local.get $coeff)))
            (local.set $k3 (v128.load offset=32 (local.get $coeff)))
            (local.set $k4 (v128.load offset=48 (local.get $coeff)))
            (local.set $a1 (v128.load offset=64 (local.get $coeff)))
            (local.set $na2 (v128.load offset=80 (local.get $coeff)))
            (local.set $s1a (v128.const f32x4 0 0 0 0)) (local.set $s1b (v128.const f32x4 0 0 0 0))
            (local.set $s2a (v128.const f32x4 0 0 0 0)) (local.set $s2b (v128.const f32x4 0 0 0 0))
            (local.set $s3a (v128.const f32x4 0 0 0 0)) (local.set $s3b (v128.const f32x4 0 0 0 0))
            (local.set $s4a (v128.const f32x4 0 0 0 0)) (local.set $s4b (v128.const f32x4 0 0 0 0))
            (local.set $energy (v128.const f32x4 0 0 0 0))
            ;; The same stages in f32.
            (block $samplesDone
              (loop $samples
                (br_if $samplesDone (i32.ge_u (local.get $n) (local.get $end32)))
                (local.set $x (f32x4.splat (f32.load (local.get $n))))
                (local.set $y (f32x4.add (local.get $x) (local.get $s1a)))
                (local.set $s1a (f32x4.sub (f32x4.add (f32x4.mul (local.get $k1) (local.get $x)) (local.get $s1b)) (f32x4.mul (local.get $a1) (local.get $y))))
                (local.set $s1b (f32x4.mul (local.get $na2) (local.get $y)))
                (local.set $x (local.get $y))
                (local.set $y (f32x4.add (local.get $x) (local.get $s2a)))
                (local.set $s2a (f32x4.sub (f32x4.add (f32x4.mul (local.get $k2) (local.get $x)) (local.get $s2b)) (f32x4.mul (local.get $a1) (local.get $y))))
                (local.set $s2b (f32x4.mul (local.get $na2) (local.get $y)))
                (local.set $x (local.get $y))
                (local.set $y (f32x4.add (local.get $x) (local.get $s3a)))
                (local.set $s3a (f32x4.sub (f32x4.add (f32x4.mul (local.get $k3) (local.get $x)) (local.get $s3b)) (f32x4.mul (local.get $a1) (local.get $y))))
                (local.set $s3b (f32x4.mul (local.get $na2) (local.get $y)))
                (local.set $x (local.get $y))
                (local.set $y (f32x4.add (local.get $x) (local.get $s4a)))
                (local.set $s4a (f32x4.sub (f32x4.add (f32x4.mul (local.get $k4) (local.get $x)) (local.get $s4b)) (f32x4.mul (local.get $a1) (local.get $y))))
                (local.set $s4b (f32x4.mul (local.get $na2) (local.get $y)))
                (local.set $energy (f32x4.add (local.get $energy) (f32x4.mul (local.get $y) (local.get $y))))
                (local.set $n (i32.add (local.get $n) (i32.const 4)))
                (br $samples)))
            (v128.store (i32.add (local.get $frameOut) (i32.shl (i32.add (local.get $pairs) (local.get $p)) (i32.const 4)))
              (local.get $energy))
            (local.set $p (i32.add (local.get $p) (i32.const 1)))
            (br $quadLoop)))
        (local.set $f (i32.add (local.get $f) (i32.const 1)))
        (br $frames)))))

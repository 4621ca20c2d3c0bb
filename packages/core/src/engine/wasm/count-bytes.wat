(module
  ;; Counts line feeds and quotes with 128-bit SIMD: 16 bytes compared at once per byte value,
  ;; matches summed in byte lanes, widened to 32-bit lanes every 255 vectors. The source of
  ;; ../count-bytes-module.ts (regenerate it with `node scripts/build-wasm.mjs`).
  ;; Bytes to count are copied to offset 0; one call counts at most the 1 MiB this holds.
  (memory (export "memory") 17)
  (global $quotes (export "quotes") (mut i32) (i32.const 0))
  ;; Counts LF bytes in [0, len) (the result) and quote bytes (left in the global `quotes`).
  (func (export "count") (param $len i32) (result i32)
    (local $i i32) (local $end16 i32) (local $stop i32) (local $c i32)
    (local $lfs i32) (local $qs i32)
    (local $v v128) (local $lfAcc v128) (local $qtAcc v128) (local $lfSum v128) (local $qtSum v128)
    (local.set $end16 (i32.and (local.get $len) (i32.const -16)))
    (block $vectorsDone
      (loop $blocks
        (br_if $vectorsDone (i32.ge_u (local.get $i) (local.get $end16)))
        ;; Byte lanes count up to 255 matches: at most 255 vectors per block.
        (local.set $stop (i32.add (local.get $i) (i32.const 4080)))
        (if (i32.gt_u (local.get $stop) (local.get $end16))
          (then (local.set $stop (local.get $end16))))
        (local.set $lfAcc (v128.const i32x4 0 0 0 0))
        (local.set $qtAcc (v128.const i32x4 0 0 0 0))
        (loop $vectors
          (local.set $v (v128.load align=1 (local.get $i)))
          ;; A match is 0xFF (-1) in its lane: subtracting it adds one.
          (local.set $lfAcc (i8x16.sub (local.get $lfAcc)
            (i8x16.eq (local.get $v) (v128.const i8x16 10 10 10 10 10 10 10 10 10 10 10 10 10 10 10 10))))
          (local.set $qtAcc (i8x16.sub (local.get $qtAcc)
            (i8x16.eq (local.get $v) (v128.const i8x16 34 34 34 34 34 34 34 34 34 34 34 34 34 34 34 34))))
          (local.set $i (i32.add (local.get $i) (i32.const 16)))
          (br_if $vectors (i32.lt_u (local.get $i) (local.get $stop))))
        (local.set $lfSum (i32x4.add (local.get $lfSum)
          (i32x4.extadd_pairwise_i16x8_u (i16x8.extadd_pairwise_i8x16_u (local.get $lfAcc)))))
        (local.set $qtSum (i32x4.add (local.get $qtSum)
          (i32x4.extadd_pairwise_i16x8_u (i16x8.extadd_pairwise_i8x16_u (local.get $qtAcc)))))
        (br $blocks)))
    (block $tailDone
      (loop $tail
        (br_if $tailDone (i32.ge_u (local.get $i) (local.get $len)))
        (local.set $c (i32.load8_u (local.get $i)))
        (local.set $lfs (i32.add (local.get $lfs) (i32.eq (local.get $c) (i32.const 10))))
        (local.set $qs (i32.add (local.get $qs) (i32.eq (local.get $c) (i32.const 34))))
        (local.set $i (i32.add (local.get $i) (i32.const 1)))
        (br $tail)))
    (global.set $quotes (i32.add (local.get $qs)
      (i32.add
        (i32.add (i32x4.extract_lane 0 (local.get $qtSum)) (i32x4.extract_lane 1 (local.get $qtSum)))
        (i32.add (i32x4.extract_lane 2 (local.get $qtSum)) (i32x4.extract_lane 3 (local.get $qtSum))))))
    (i32.add (local.get $lfs)
      (i32.add
        (i32.add (i32x4.extract_lane 0 (local.get $lfSum)) (i32x4.extract_lane 1 (local.get $lfSum)))
        (i32.add (i32x4.extract_lane 2 (local.get $lfSum)) (i32x4.extract_lane 3 (local.get $lfSum)))))))

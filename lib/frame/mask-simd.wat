;; XOR masking with WebAssembly SIMD (RFC 6455 §5.3), assembled by hand into
;; the bytes in mask-simd.ts. The caller copies the data into `memory`,
;; calls `mask` with a length that is a multiple of 64, finishes the ragged
;; end itself and copies the data back out. `$key` is the 4-byte masking key,
;; already rotated to the phase of the first byte, as a little-endian i32.
(module
  (import "env" "memory" (memory 0))
  (func (export "mask") (param $at i32) (param $length i32) (param $key i32)
    (local $end i32) (local $keys v128)
    (local.set $keys (i32x4.splat (local.get $key)))
    (local.set $end (i32.add (local.get $at) (local.get $length)))
    (block $done
      (br_if $done (i32.ge_u (local.get $at) (local.get $end)))
      (loop $next
        ;; 64 bytes per turn: four unaligned 16-byte vectors.
        (v128.store offset=0  align=1 (local.get $at) (v128.xor (v128.load offset=0  align=1 (local.get $at)) (local.get $keys)))
        (v128.store offset=16 align=1 (local.get $at) (v128.xor (v128.load offset=16 align=1 (local.get $at)) (local.get $keys)))
        (v128.store offset=32 align=1 (local.get $at) (v128.xor (v128.load offset=32 align=1 (local.get $at)) (local.get $keys)))
        (v128.store offset=48 align=1 (local.get $at) (v128.xor (v128.load offset=48 align=1 (local.get $at)) (local.get $keys)))
        (br_if $next (i32.lt_u (local.tee $at (i32.add (local.get $at) (i32.const 64))) (local.get $end)))))))

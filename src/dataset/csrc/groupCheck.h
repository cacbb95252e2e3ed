// The native twin of a processed file's row-group check (src/dataset/groupCheck.ts and the CRC-32 of
// ProcessedFileReader): run in the libuv thread pool so that the loader's main thread never pays for it.
// It only answers "checksum matches?" and "values in contract?"; on a failure the JS twin runs on the same
// bytes to name the row, column and value, so both always give the same message.
#pragma once
#include <napi.h>

namespace dlrm {

/**
 * checkGroupAsync(bytes: Uint8Array, layout: Float64Array, tableRows: Uint32Array | null, crc: number)
 *   -> Promise<number>: 0 when good, bit 1 = the CRC-32 of bytes differs from crc (crc < 0: not checked),
 *   bit 2 = a value is out of contract. layout = [n, numDense, labelsAt, denseAt, then per table
 *   offsetsAt (-1: one index per row), indicesAt, numIndices], positions relative to bytes.
 */
Napi::Value CheckGroupAsync(const Napi::CallbackInfo& info);

/**
 * crc32(bytes: Uint8Array, previous = 0) -> the CRC-32 of bytes continuing from previous, as
 * zlib.crc32(bytes, previous) (the writers' checksums; chained over the parts of a long section).
 */
Napi::Value Crc32(const Napi::CallbackInfo& info);

}  // namespace dlrm

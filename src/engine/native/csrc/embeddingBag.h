// Embedding bags with sum pooling on chunked host tables (the DlrmParams layout: rows split into chunks of
// chunkRows rows, each row-major [rowsInChunk, dim]), and their sparse optimizer updates.
// A bag input is EmbeddingBag-style: row b's bag is indices[offsets[b] .. offsets[b+1]).
// Pooled outputs and their gradients are addressed as base + b * stride (so they can live inside the
// interaction input [rows, n, d] directly).
#pragma once
#include <cstddef>
#include <cstdint>
#include <vector>

#include "optimizer.h"

namespace dlrm {

struct EmbeddingTable {
  std::int64_t rows = 0;
  int dim = 0;
  std::int64_t chunkRows = 0;
  std::vector<float*> chunks;
  /** Optimizer state chunks: adagrad [rowsInChunk*dim], rowwise-adagrad [rowsInChunk]; empty for sgd. */
  std::vector<float*> state;
  /** Pooled by the caller (a compressed feature, src/embedding/compressedFeature.ts): no rows here. */
  bool external = false;

  float* row(std::uint32_t i) const {
    if (chunks.size() == 1) return chunks[0] + static_cast<std::size_t>(i) * dim;
    return chunks[i / chunkRows] + static_cast<std::size_t>(i % chunkRows) * dim;
  }
  float* stateOf(std::uint32_t i, int width) const {
    if (state.size() == 1) return state[0] + static_cast<std::size_t>(i) * width;
    return state[i / chunkRows] + static_cast<std::size_t>(i % chunkRows) * width;
  }
};

struct BagInput {
  const std::uint32_t* offsets = nullptr;
  const std::uint32_t* indices = nullptr;
};

/** out[b] = sum of the bag's rows, for b in [rowBegin, rowEnd). */
void embeddingBagForward(const EmbeddingTable& table, const BagInput& bag, int rowBegin, int rowEnd, float* out, std::size_t outStride);

/** Per-thread scratch for the duplicate-accumulating sparse updates (reused across steps). */
struct SparseScratch {
  std::vector<std::uint32_t> keys;   // open-addressing hash of row index -> slot (0xFFFFFFFF = empty)
  std::vector<std::uint32_t> slots;
  std::vector<std::uint32_t> uniqueRows;
  std::vector<float> gradSums;       // [unique, dim]
};

/**
 * The sparse update of one table from the pooled gradients grad[b] (b in [0, batch)): every row of a bag
 * receives the bag's gradient; duplicates are summed per unique row before adagrad / rowwise-adagrad
 * (sgd applies them one by one, which is the same sum).
 */
void embeddingBagUpdate(EmbeddingTable& table, OptimizerKind kind, const BagInput& bag, int batch, const float* grad, std::size_t gradStride, float lr, SparseScratch& scratch);

/** The gradient sums per unique row (rows into scratch.uniqueRows, sums [unique, dim] into scratch.gradSums). */
void embeddingBagGradient(const EmbeddingTable& table, const BagInput& bag, int batch, const float* grad, std::size_t gradStride, SparseScratch& scratch);

}  // namespace dlrm

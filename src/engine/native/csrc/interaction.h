// Feature interaction kernels. Per sample the interaction input is the matrix T [n, d] whose rows are the
// bottom MLP output x followed by the T pooled embeddings (n = tables + 1), stored contiguously as
// [rows, n, d]. dot: R = [x, lower triangle of T·Tᵀ in row-major order (1,0),(2,0),(2,1),...] (with the
// diagonal too when `itself`), width d + n(n-1)/2 (or d + n(n+1)/2). cat: R is T itself (width n·d), so
// no kernel is needed for it.
#pragma once

namespace dlrm {

/** Number of pair values the dot interaction keeps for n rows. */
int dotPairCount(int n, bool itself);

/** R[rows, d + pairs] from T[rows, n, d]. */
void dotInteractionForward(const float* T, int rows, int n, int d, bool itself, float* R);

/** dT[rows, n, d] from dR[rows, d + pairs] and T. */
void dotInteractionBackward(const float* T, const float* dR, int rows, int n, int d, bool itself, float* dT);

}  // namespace dlrm

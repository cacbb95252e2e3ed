// One DLRM training step on host memory: bottom MLP, embedding bags, interaction, top MLP, sigmoid + loss,
// backward and the optimizer update, on the caller's parameter arrays (zero copy).
// Parallel plan (P = pool threads): pass 1 splits the batch rows in P slices; each slice runs the whole
// forward and the backward of activations on its rows (keeping every layer's dy for the whole batch).
// Pass 2 splits the parameters: each dense layer by output rows (one GEMM over the whole batch per range;
// for SGD straight into the weights, dW never stored; the result does not depend on P), embedding tables
// by table (so duplicate rows never race).
// Shapes: dense [B, D]; interaction input T [B, n, d] with n = tables + 1; top input [B, topIn].
// dcn (crossNet.cc): T is x_0 [B, N], N = n d; the cross layers' V_l / W_l are two LinearLayers each (V
// without bias), whose weight gradients pass 2 computes like any layer's from the stored activations.
// --model dcn (deepCross.cc): T is x_0 too; top holds the deep layers then the output layer over [x_L, h] and
// cross holds the rank-1 cross layers {w_l [N], b_l [N]} (in N, out 1).
#pragma once
#include <cstdint>
#include <vector>

#include "embeddingBag.h"
#include "gemm.h"
#include "loss.h"
#include "optimizer.h"
#include "threadPool.h"

namespace dlrm {

struct LinearLayer {
  float* weight = nullptr;  // [out, in]
  float* bias = nullptr;    // [out] (null: no bias, a dcn V layer)
  float* accWeight = nullptr;  // adagrad accumulators (null for sgd)
  float* accBias = nullptr;
  int in = 0;
  int out = 0;
};

struct ModelConfig {
  std::vector<LinearLayer> bottom;
  std::vector<LinearLayer> top;
  std::vector<EmbeddingTable> tables;
  int dim = 0;
  bool dotInteraction = true;
  bool interactionItself = false;
  bool dcnInteraction = false;
  std::vector<LinearLayer> cross;  // dcn: V_0, W_0, V_1, W_1, ...; deepCross: w_l with bias b_l [N]
  bool deepCross = false;  // --model dcn: the original Deep & Cross Network (dotInteraction, dcnInteraction false)
  LossConfig loss;
  OptimizerKind optimizer = OptimizerKind::Sgd;
  // GEMM arithmetic of the training steps (Train, Gradients); Predict always runs fp32. Weights stay fp32.
  Precision precision = Precision::Fp32;
};

struct BatchView {
  int size = 0;
  const float* dense = nullptr;  // [B, D]
  const float* labels = nullptr;  // [B]
  std::vector<BagInput> bags;  // one per table
  // external tables only (null for the others): their pooled rows [B, d] given by the caller, and where
  // a Train step writes d(loss)/d(pooled) [B, d] for the caller's own update
  std::vector<const float*> externalPooled;
  std::vector<float*> externalGrad;
};

enum class StepMode { Predict = 0, Gradients = 1, Train = 2 };

/** Where StepMode::Gradients writes the mean-loss gradients (DlrmGradients layout). */
struct GradientOutputs {
  std::vector<float*> bottomWeight, bottomBias, topWeight, topBias, crossWeight, crossBias;  // crossBias null for V (dcn)
  std::vector<float*> pooled;  // [T][B * d]
};

class DlrmModel {
 public:
  DlrmModel(ModelConfig config, int threads);
  /** Runs one step; writes predictions [B]; returns the mean loss (0 in Predict mode without labels). */
  double step(StepMode mode, const BatchView& batch, float lr, float* predictions, const GradientOutputs* grads);
  int topInputWidth() const { return topIn_; }
  int threads() const { return pool_.size(); }

 private:
  void ensureCapacity(int batch);
  double forwardBackwardSlice(StepMode mode, const BatchView& batch, int r0, int r1, float* predictions);
  void updateSlice(StepMode mode, const BatchView& batch, int part, int parts, float lr, const GradientOutputs* grads);
  void updateLayerRows(StepMode mode, LinearLayer& L, const float* x, const float* dy, int B, int part, int parts, float lr, float* outW, float* outB);
  void crossForward(int r0, int rows, Precision precision);
  void crossBackward(int r0, int rows, Precision precision);
  void bottomBackward(int r0, int rows, Precision p);
  // --model dcn (deepCross.cc): the slice's forward, loss and backward from x_0 down to dT; pass 2 of the
  // deep, output and cross layers; buffers for a batch of B rows
  double deepCrossSlice(StepMode mode, const BatchView& batch, int r0, int rows, float* predictions, Precision p);
  void deepCrossUpdate(StepMode mode, int B, int part, int parts, float lr, const GradientOutputs* grads);
  void deepCrossCapacity(std::size_t B);

  ModelConfig cfg_;
  ThreadPool pool_;
  int n_ = 0;      // rows of the interaction matrix
  int topIn_ = 0;  // width of the top MLP input
  int capacity_ = 0;
  std::vector<std::vector<float>> bottomAct_, topAct_, bottomGrad_, topGrad_;
  std::vector<float> interactionIn_, interactionGrad_, topInput_, topInputGrad_;
  // dcn, per cross layer l: x_{l+1} [B, N] (crossX_[L-1] is the top input), V_l x_l [B, r], z_l = W_l V_l x_l + b_l
  // [B, N], and their gradients dz_l [B, N], d(V_l x_l) [B, r]
  std::vector<std::vector<float>> crossX_, crossXV_, crossZ_, crossDZ_, crossDXV_;
  // deepCross, per cross layer l: x_{l+1} [B, N], s_l = x_l · w_l [B], g_l = d(x_{l+1}) [B, N], ds_l = g_l · x_0 [B];
  // the output layer's input [x_L, h] [B, N + H] and its gradient; per pass-2 part, w and b gradient ranges [2N]
  std::vector<std::vector<float>> dcX_, dcS_, dcG_, dcDS_, dcScratch_;
  std::vector<float> dcHead_, dcHeadGrad_;
  // per pass-2 part: a weight-gradient range (adagrad) and a bias-gradient range, sized for the widest layer
  std::vector<std::vector<float>> gradW_, gradB_;
  std::vector<SparseScratch> scratch_;
};

}  // namespace dlrm

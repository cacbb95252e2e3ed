// The N-API face of the native engine (node-addon-api). Exports:
//   NativeDlrm(spec)            holds the caller's parameter / optimizer-state Float32Arrays (zero copy)
//     .run(mode, batch, lr, predictions, grads?) -> Promise<mean loss>  (runs off the JS thread)
//   NativeEmbeddingBags(spec)   the sparse tier alone (benchmarks, tests)
//     .forward(bags, batchSize, outs)   .update(bags, batchSize, grads, lr)   (synchronous)
//   info() -> { openblas, core, threads, bf16 }   (bf16: the CPU runs the bf16 GEMM; DLRM_NATIVE_BF16=off says no)
//   gemm(precision, transA, transB, M, N, K, alpha, A, lda, B, ldb, beta, C, ldc)   the GEMM of gemm.h (tests, benchmarks)
//   parseCriteoBlock, parseDelimitedBlock, assignFirstAppearance, packRows, gatherRows, shuffledOrder: the preprocess kernels (src/preprocess/csrc)
//   checkGroupAsync, crc32: a processed file's row-group check, off the JS thread, and its CRC-32 (src/dataset/csrc)
//   randomBlock: the native twin of RandomSource's block generator (src/dataset/csrc/randomBlock.h)
// Every shape is checked here, before any pointer reaches a kernel: an out-of-range index throws.
#include <napi.h>
#include <cblas.h>

#include <algorithm>
#include <memory>
#include <string>
#include <thread>

#include "bf16Gemm.h"
#include "dlrmModel.h"
#include "gemm.h"
#include "groupCheck.h"
#include "hugePages.h"
#include "preprocessKernels.h"
#include "randomBlock.h"

namespace {

using dlrm::BagInput;
using dlrm::EmbeddingTable;

constexpr int kMaxThreads = 64;

float* floatData(const Napi::Value& v, std::size_t expected, const std::string& what) {
  if (!v.IsTypedArray() || v.As<Napi::TypedArray>().TypedArrayType() != napi_float32_array)
    throw Napi::TypeError::New(v.Env(), what + " must be a Float32Array");
  auto a = v.As<Napi::Float32Array>();
  if (expected != static_cast<std::size_t>(-1) && a.ElementLength() != expected)
    throw Napi::RangeError::New(v.Env(), what + " has " + std::to_string(a.ElementLength()) + " values, expected " + std::to_string(expected));
  return a.Data();
}

const std::uint32_t* uint32Data(const Napi::Value& v, std::size_t* length, const std::string& what) {
  if (!v.IsTypedArray() || v.As<Napi::TypedArray>().TypedArrayType() != napi_uint32_array)
    throw Napi::TypeError::New(v.Env(), what + " must be a Uint32Array");
  auto a = v.As<Napi::Uint32Array>();
  *length = a.ElementLength();
  return a.Data();
}

int intProp(const Napi::Object& o, const char* key) { return o.Get(key).As<Napi::Number>().Int32Value(); }
double numProp(const Napi::Object& o, const char* key) { return o.Get(key).As<Napi::Number>().DoubleValue(); }

int threadCount(const Napi::Object& spec) {
  int threads = spec.Has("threads") && spec.Get("threads").IsNumber() ? intProp(spec, "threads") : 0;
  if (threads <= 0) threads = static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
  return std::min(threads, kMaxThreads);
}

/** spec.hugePages (default true): advise the tables' memory into transparent huge pages. */
bool hugePagesWanted(const Napi::Object& spec) { return !spec.Has("hugePages") || spec.Get("hugePages").ToBoolean(); }

/** 'fp32' (also when absent) or 'bf16'; bf16 where the CPU lacks it throws (the JS side reports it as a UserError first). */
dlrm::Precision precisionOf(const Napi::Env& env, const Napi::Value& v) {
  const std::string name = v.IsString() ? v.As<Napi::String>().Utf8Value() : "fp32";
  if (name == "fp32") return dlrm::Precision::Fp32;
  if (name != "bf16") throw Napi::TypeError::New(env, "unknown precision '" + name + "'");
  if (!dlrm::bf16GemmSupported()) throw Napi::Error::New(env, "precision bf16 needs a CPU with AVX512_BF16");
  return dlrm::Precision::Bf16;
}

dlrm::OptimizerKind optimizerOf(const Napi::Env& env, const std::string& name) {
  if (name == "sgd") return dlrm::OptimizerKind::Sgd;
  if (name == "adagrad") return dlrm::OptimizerKind::Adagrad;
  if (name == "rowwise-adagrad") return dlrm::OptimizerKind::RowwiseAdagrad;
  throw Napi::TypeError::New(env, "unknown optimizer '" + name + "'");
}

/** Reads spec.tables: [{ rows, dim, chunkRows, chunks: Float32Array[], state: Float32Array[] }]. */
std::vector<EmbeddingTable> readTables(const Napi::Array& specs, dlrm::OptimizerKind opt, bool hugePages) {
  std::vector<EmbeddingTable> tables;
  for (uint32_t t = 0; t < specs.Length(); ++t) {
    Napi::Object s = specs.Get(t).As<Napi::Object>();
    EmbeddingTable table;
    table.rows = static_cast<std::int64_t>(numProp(s, "rows"));
    table.dim = intProp(s, "dim");
    table.chunkRows = static_cast<std::int64_t>(numProp(s, "chunkRows"));
    table.external = s.Has("external") && s.Get("external").ToBoolean();
    const std::string name = "table " + std::to_string(t);
    if (table.rows > 0xFFFFFFFFLL || table.chunkRows <= 0 || table.dim <= 0)
      throw Napi::RangeError::New(specs.Env(), name + ": bad rows/chunkRows/dim");
    Napi::Array chunks = s.Get("chunks").As<Napi::Array>();
    const std::int64_t expectChunks = (table.rows + table.chunkRows - 1) / table.chunkRows;
    if (static_cast<std::int64_t>(chunks.Length()) != expectChunks)
      throw Napi::RangeError::New(specs.Env(), name + ": expected " + std::to_string(expectChunks) + " chunks");
    const int stateWidth = opt == dlrm::OptimizerKind::Adagrad ? table.dim : 1;
    Napi::Array state = s.Has("state") ? s.Get("state").As<Napi::Array>() : Napi::Array::New(specs.Env());
    if (opt != dlrm::OptimizerKind::Sgd && static_cast<std::int64_t>(state.Length()) != expectChunks)
      throw Napi::RangeError::New(specs.Env(), name + ": optimizer state needs " + std::to_string(expectChunks) + " chunks");
    for (uint32_t c = 0; c < chunks.Length(); ++c) {
      const std::int64_t rowsIn = std::min(table.chunkRows, table.rows - c * table.chunkRows);
      table.chunks.push_back(floatData(chunks.Get(c), rowsIn * table.dim, name + " chunk " + std::to_string(c)));
      if (hugePages) dlrm::adviseHugePages(table.chunks.back(), sizeof(float) * rowsIn * table.dim);
      if (opt != dlrm::OptimizerKind::Sgd)
      {
        table.state.push_back(floatData(state.Get(c), rowsIn * stateWidth, name + " state chunk " + std::to_string(c)));
        if (hugePages) dlrm::adviseHugePages(table.state.back(), sizeof(float) * rowsIn * stateWidth);
      }
    }
    tables.push_back(std::move(table));
  }
  return tables;
}

/** Reads bags [{ offsets, indices }] for `batch` rows and checks them against the tables. */
std::vector<BagInput> readBags(const Napi::Array& bags, int batch, const std::vector<EmbeddingTable>& tables) {
  if (bags.Length() != tables.size())
    throw Napi::RangeError::New(bags.Env(), "batch has " + std::to_string(bags.Length()) + " bags, the model " + std::to_string(tables.size()) + " tables");
  std::vector<BagInput> out;
  for (uint32_t t = 0; t < bags.Length(); ++t) {
    Napi::Object b = bags.Get(t).As<Napi::Object>();
    const std::string name = "table " + std::to_string(t);
    std::size_t nOff, nIdx;
    BagInput in;
    in.offsets = uint32Data(b.Get("offsets"), &nOff, name + " offsets");
    in.indices = uint32Data(b.Get("indices"), &nIdx, name + " indices");
    if (nOff != static_cast<std::size_t>(batch) + 1 || in.offsets[0] != 0 || in.offsets[batch] != nIdx)
      throw Napi::RangeError::New(bags.Env(), name + ": offsets must have B+1 entries from 0 to indices.length");
    for (int r = 0; r < batch; ++r)
      if (in.offsets[r] > in.offsets[r + 1]) throw Napi::RangeError::New(bags.Env(), name + ": offsets decrease at row " + std::to_string(r));
    const std::int64_t rows = tables[t].rows;
    if (tables[t].external) {  // the caller pooled (and checked) this feature itself
      out.push_back(in);
      continue;
    }
    for (std::size_t k = 0; k < nIdx; ++k)
      if (in.indices[k] >= rows)
        throw Napi::RangeError::New(bags.Env(), name + ": index " + std::to_string(in.indices[k]) + " is out of range (table has " + std::to_string(rows) + " rows)");
    out.push_back(in);
  }
  return out;
}

/** Reads an MLP; with `lastReadsMore` (--model dcn's output layer over [x_L, h]) the last layer's input is not chained. */
std::vector<dlrm::LinearLayer> readLayers(const Napi::Array& specs, dlrm::OptimizerKind opt, const char* which, bool lastReadsMore = false) {
  std::vector<dlrm::LinearLayer> layers;
  for (uint32_t l = 0; l < specs.Length(); ++l) {
    Napi::Object s = specs.Get(l).As<Napi::Object>();
    dlrm::LinearLayer L;
    L.in = intProp(s, "inFeatures");
    L.out = intProp(s, "outFeatures");
    const std::string name = std::string(which) + " layer " + std::to_string(l);
    L.weight = floatData(s.Get("weight"), static_cast<std::size_t>(L.in) * L.out, name + " weight");
    L.bias = floatData(s.Get("bias"), L.out, name + " bias");
    if (opt != dlrm::OptimizerKind::Sgd) {
      L.accWeight = floatData(s.Get("accWeight"), static_cast<std::size_t>(L.in) * L.out, name + " weight accumulator");
      L.accBias = floatData(s.Get("accBias"), L.out, name + " bias accumulator");
    }
    const bool chained = !(lastReadsMore && l + 1 == specs.Length());
    if (l > 0 && chained && layers.back().out != L.in) throw Napi::RangeError::New(specs.Env(), name + ": input width does not match the previous layer");
    layers.push_back(L);
  }
  if (layers.empty()) throw Napi::RangeError::New(specs.Env(), std::string(which) + " MLP has no layers");
  return layers;
}

/** Reads spec.cross (dcn): [V_0, W_0, V_1, ...], V_l [r, N] with an empty bias, W_l [N, r] with a bias [N]. */
std::vector<dlrm::LinearLayer> readCrossLayers(const Napi::Array& specs, dlrm::OptimizerKind opt, int width) {
  const Napi::Env env = specs.Env();
  std::vector<dlrm::LinearLayer> layers;
  if (specs.Length() == 0 || specs.Length() % 2 != 0) throw Napi::RangeError::New(env, "dcn: cross needs a V and a W layer per cross layer");
  for (uint32_t l = 0; l < specs.Length(); ++l) {
    Napi::Object s = specs.Get(l).As<Napi::Object>();
    dlrm::LinearLayer L;
    L.in = intProp(s, "inFeatures");
    L.out = intProp(s, "outFeatures");
    const bool isV = l % 2 == 0;
    const std::string name = std::string("cross layer ") + std::to_string(l / 2) + (isV ? " V" : " W");
    if ((isV ? L.in : L.out) != width || L.in <= 0 || L.out <= 0 || (!isV && L.in != layers.back().out))
      throw Napi::RangeError::New(env, name + ": bad shape [" + std::to_string(L.out) + ", " + std::to_string(L.in) + "] for a cross width " + std::to_string(width));
    L.weight = floatData(s.Get("weight"), static_cast<std::size_t>(L.in) * L.out, name + " weight");
    L.bias = isV ? nullptr : floatData(s.Get("bias"), L.out, name + " bias");
    if (opt != dlrm::OptimizerKind::Sgd) {
      L.accWeight = floatData(s.Get("accWeight"), static_cast<std::size_t>(L.in) * L.out, name + " weight accumulator");
      if (!isV) L.accBias = floatData(s.Get("accBias"), L.out, name + " bias accumulator");
    }
    layers.push_back(L);
  }
  return layers;
}

/** Reads spec.cross (--model dcn): per cross layer {weight w_l [N], bias b_l [N]}, inFeatures N, outFeatures 1. */
std::vector<dlrm::LinearLayer> readDeepCrossLayers(const Napi::Array& specs, dlrm::OptimizerKind opt, int width) {
  std::vector<dlrm::LinearLayer> layers;
  if (specs.Length() == 0) throw Napi::RangeError::New(specs.Env(), "model dcn: no cross layers");
  for (uint32_t l = 0; l < specs.Length(); ++l) {
    Napi::Object s = specs.Get(l).As<Napi::Object>();
    dlrm::LinearLayer L;
    L.in = intProp(s, "inFeatures");
    L.out = intProp(s, "outFeatures");
    const std::string name = "cross layer " + std::to_string(l);
    if (L.in != width || L.out != 1)
      throw Napi::RangeError::New(specs.Env(), name + ": bad shape [" + std::to_string(L.out) + ", " + std::to_string(L.in) + "] for a cross width " + std::to_string(width));
    L.weight = floatData(s.Get("weight"), width, name + " weight");
    L.bias = floatData(s.Get("bias"), width, name + " bias");
    if (opt != dlrm::OptimizerKind::Sgd) {
      L.accWeight = floatData(s.Get("accWeight"), width, name + " weight accumulator");
      L.accBias = floatData(s.Get("accBias"), width, name + " bias accumulator");
    }
    layers.push_back(L);
  }
  return layers;
}

class NativeDlrm : public Napi::ObjectWrap<NativeDlrm> {
 public:
  static Napi::Function Define(Napi::Env env) {
    return DefineClass(env, "NativeDlrm", {InstanceMethod("run", &NativeDlrm::Run), InstanceAccessor("topInputWidth", &NativeDlrm::TopInputWidth, nullptr)});
  }

  explicit NativeDlrm(const Napi::CallbackInfo& info) : Napi::ObjectWrap<NativeDlrm>(info) {
    Napi::Env env = info.Env();
    Napi::Object spec = info[0].As<Napi::Object>();
    dlrm::ModelConfig cfg;
    cfg.optimizer = optimizerOf(env, spec.Get("optimizer").As<Napi::String>().Utf8Value());
    cfg.bottom = readLayers(spec.Get("bottom").As<Napi::Array>(), cfg.optimizer, "bottom");
    cfg.deepCross = spec.Get("deepCross").ToBoolean();
    cfg.top = readLayers(spec.Get("top").As<Napi::Array>(), cfg.optimizer, "top", cfg.deepCross);
    cfg.tables = readTables(spec.Get("tables").As<Napi::Array>(), cfg.optimizer, hugePagesWanted(spec));
    cfg.dim = cfg.bottom.back().out;
    for (const auto& t : cfg.tables)
      if (t.dim != cfg.dim) throw Napi::RangeError::New(env, "every table's dim must equal the bottom MLP output width");
    const std::string interaction = spec.Get("interaction").As<Napi::String>().Utf8Value();
    if (interaction != "dot" && interaction != "cat" && interaction != "dcn") throw Napi::TypeError::New(env, "unknown interaction '" + interaction + "'");
    cfg.dotInteraction = interaction == "dot";
    cfg.dcnInteraction = interaction == "dcn";
    const int crossWidth = static_cast<int>(cfg.tables.size() + 1) * cfg.dim;
    if (cfg.dcnInteraction) cfg.cross = readCrossLayers(spec.Get("cross").As<Napi::Array>(), cfg.optimizer, crossWidth);
    if (cfg.deepCross) {
      if (interaction != "cat") throw Napi::TypeError::New(env, "model dcn: the interaction must be cat (x_0)");
      cfg.cross = readDeepCrossLayers(spec.Get("cross").As<Napi::Array>(), cfg.optimizer, crossWidth);
      const std::size_t k = cfg.top.size();
      if (k < 2 || cfg.top[k - 1].in != crossWidth + cfg.top[k - 2].out)
        throw Napi::RangeError::New(env, "model dcn: the output layer must read the cross width plus the last deep width");
    }
    cfg.interactionItself = spec.Get("interactionItself").ToBoolean();
    cfg.precision = precisionOf(env, spec.Get("precision"));
    const std::string loss = spec.Get("loss").As<Napi::String>().Utf8Value();
    if (loss == "mse") cfg.loss.kind = dlrm::LossKind::Mse;
    else if (loss == "bce") cfg.loss.kind = dlrm::LossKind::Bce;
    else if (loss == "wbce") cfg.loss.kind = dlrm::LossKind::Wbce;
    else throw Napi::TypeError::New(env, "unknown loss '" + loss + "'");
    Napi::Array weights = spec.Get("lossWeights").As<Napi::Array>();
    cfg.loss.weightNeg = weights.Get(0u).As<Napi::Number>().FloatValue();
    cfg.loss.weightPos = weights.Get(1u).As<Napi::Number>().FloatValue();
    cfg.loss.threshold = static_cast<float>(numProp(spec, "lossThreshold"));
    if (cfg.top.back().out != 1) throw Napi::RangeError::New(env, "the top MLP must end in one output");
    tableShapes_.clear();
    for (const auto& t : cfg.tables) tableShapes_.push_back(t);
    numDense_ = cfg.bottom.front().in;
    model_ = std::make_unique<dlrm::DlrmModel>(std::move(cfg), threadCount(spec));
    if (readTopIn(spec) != model_->topInputWidth())
      throw Napi::RangeError::New(env, "top MLP input width " + std::to_string(readTopIn(spec)) + " does not match the interaction output " + std::to_string(model_->topInputWidth()));
    paramsRef_ = Napi::Persistent(spec);
  }

  Napi::Value TopInputWidth(const Napi::CallbackInfo& info) { return Napi::Number::New(info.Env(), model_->topInputWidth()); }

  /** run(mode, batch, lr, predictions, grads?) -> Promise<number>. */
  Napi::Value Run(const Napi::CallbackInfo& info);

  dlrm::DlrmModel& model() { return *model_; }
  bool busy = false;

 private:
  static int readTopIn(const Napi::Object& spec) {
    return intProp(spec.Get("top").As<Napi::Array>().Get(0u).As<Napi::Object>(), "inFeatures");
  }

  std::unique_ptr<dlrm::DlrmModel> model_;
  std::vector<EmbeddingTable> tableShapes_;  // the tables' shapes, for the batch checks
  int numDense_ = 0;
  Napi::ObjectReference paramsRef_;  // keeps the parameter arrays alive
};

class StepWorker : public Napi::AsyncWorker {
 public:
  StepWorker(Napi::Env env, NativeDlrm* owner, Napi::Object self, dlrm::StepMode mode, dlrm::BatchView batch, float lr, float* predictions,
             std::unique_ptr<dlrm::GradientOutputs> grads, Napi::Object keepAlive)
      : Napi::AsyncWorker(env), owner_(owner), mode_(mode), batch_(std::move(batch)), lr_(lr), predictions_(predictions),
        grads_(std::move(grads)), deferred_(Napi::Promise::Deferred::New(env)) {
    selfRef_ = Napi::Persistent(self);
    keepAlive_ = Napi::Persistent(keepAlive);
  }
  Napi::Promise promise() { return deferred_.Promise(); }

  void Execute() override { loss_ = owner_->model().step(mode_, batch_, lr_, predictions_, grads_.get()); }
  void OnOK() override {
    owner_->busy = false;
    deferred_.Resolve(Napi::Number::New(Env(), loss_));
  }
  void OnError(const Napi::Error& e) override {
    owner_->busy = false;
    deferred_.Reject(e.Value());
  }

 private:
  NativeDlrm* owner_;
  dlrm::StepMode mode_;
  dlrm::BatchView batch_;
  float lr_;
  float* predictions_;
  std::unique_ptr<dlrm::GradientOutputs> grads_;
  double loss_ = 0.0;
  Napi::Promise::Deferred deferred_;
  Napi::ObjectReference selfRef_, keepAlive_;
};

Napi::Value NativeDlrm::Run(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (busy) throw Napi::Error::New(env, "NativeDlrm: a step is already running (await the previous one)");
  const int mode = info[0].As<Napi::Number>().Int32Value();
  if (mode < 0 || mode > 2) throw Napi::RangeError::New(env, "bad mode");
  Napi::Object b = info[1].As<Napi::Object>();
  dlrm::BatchView batch;
  batch.size = intProp(b, "size");
  if (batch.size < 0) throw Napi::RangeError::New(env, "batch size must be >= 0");
  if (intProp(b, "numDense") != numDense_) throw Napi::RangeError::New(env, "batch has " + std::to_string(intProp(b, "numDense")) + " dense features, the model " + std::to_string(numDense_));
  batch.dense = floatData(b.Get("dense"), static_cast<std::size_t>(batch.size) * numDense_, "batch.dense");
  batch.labels = floatData(b.Get("labels"), batch.size, "batch.labels");
  batch.bags = readBags(b.Get("sparse").As<Napi::Array>(), batch.size, tableShapes_);
  const float lr = info[2].As<Napi::Number>().FloatValue();
  float* predictions = floatData(info[3], batch.size, "predictions");
  std::unique_ptr<dlrm::GradientOutputs> grads;
  Napi::Object keep = Napi::Object::New(env);
  keep.Set("batch", b);
  keep.Set("predictions", info[3]);
  // info[5]: { pooled: [B*d] per external table, grads: [B*d] per external table } (null elsewhere)
  batch.externalPooled.assign(tableShapes_.size(), nullptr);
  batch.externalGrad.assign(tableShapes_.size(), nullptr);
  const bool hasExternal = std::any_of(tableShapes_.begin(), tableShapes_.end(), [](const EmbeddingTable& t) { return t.external; });
  if (hasExternal) {
    if (info.Length() < 6 || !info[5].IsObject()) throw Napi::TypeError::New(env, "run: the model has external tables but no external buffers");
    Napi::Object ext = info[5].As<Napi::Object>();
    keep.Set("external", ext);
    Napi::Array pooledIn = ext.Get("pooled").As<Napi::Array>();
    Napi::Array gradOut = ext.Get("grads").As<Napi::Array>();
    for (std::size_t t = 0; t < tableShapes_.size(); ++t) {
      if (!tableShapes_[t].external) continue;
      const std::size_t n = static_cast<std::size_t>(batch.size) * tableShapes_[t].dim;
      batch.externalPooled[t] = floatData(pooledIn.Get(static_cast<uint32_t>(t)), n, "external.pooled");
      batch.externalGrad[t] = floatData(gradOut.Get(static_cast<uint32_t>(t)), n, "external.grads");
    }
  }
  if (mode == static_cast<int>(dlrm::StepMode::Gradients)) {
    Napi::Object g = info[4].As<Napi::Object>();
    keep.Set("grads", g);
    grads = std::make_unique<dlrm::GradientOutputs>();
    const auto& cfgBottom = g.Get("bottom").As<Napi::Array>();
    const auto& cfgTop = g.Get("top").As<Napi::Array>();
    Napi::Object spec = paramsRef_.Value();
    auto readOut = [&](const Napi::Array& outs, const Napi::Array& layers, std::vector<float*>& w, std::vector<float*>& bias, const char* which) {
      if (outs.Length() != layers.Length()) throw Napi::RangeError::New(env, std::string("grads.") + which + " has the wrong layer count");
      for (uint32_t l = 0; l < outs.Length(); ++l) {
        Napi::Object o = outs.Get(l).As<Napi::Object>();
        Napi::Object L = layers.Get(l).As<Napi::Object>();
        const std::size_t nw = static_cast<std::size_t>(intProp(L, "inFeatures")) * intProp(L, "outFeatures");
        w.push_back(floatData(o.Get("weight"), nw, std::string("grads.") + which + " weight"));
        bias.push_back(floatData(o.Get("bias"), intProp(L, "outFeatures"), std::string("grads.") + which + " bias"));
      }
    };
    readOut(cfgBottom, spec.Get("bottom").As<Napi::Array>(), grads->bottomWeight, grads->bottomBias, "bottom");
    readOut(cfgTop, spec.Get("top").As<Napi::Array>(), grads->topWeight, grads->topBias, "top");
    const bool deepCross = spec.Get("deepCross").ToBoolean();
    if (spec.Get("interaction").As<Napi::String>().Utf8Value() == "dcn" || deepCross) {
      Napi::Array outs = g.Get("cross").As<Napi::Array>();
      Napi::Array layers = spec.Get("cross").As<Napi::Array>();
      if (outs.Length() != layers.Length()) throw Napi::RangeError::New(env, "grads.cross has the wrong layer count");
      for (uint32_t l = 0; l < outs.Length(); ++l) {
        Napi::Object o = outs.Get(l).As<Napi::Object>();
        Napi::Object L = layers.Get(l).As<Napi::Object>();
        const int out = intProp(L, "outFeatures");
        grads->crossWeight.push_back(floatData(o.Get("weight"), static_cast<std::size_t>(intProp(L, "inFeatures")) * out, "grads.cross weight"));
        if (deepCross) grads->crossBias.push_back(floatData(o.Get("bias"), intProp(L, "inFeatures"), "grads.cross bias"));
        else grads->crossBias.push_back(l % 2 == 0 ? nullptr : floatData(o.Get("bias"), out, "grads.cross bias"));
      }
    }
    Napi::Array pooled = g.Get("pooled").As<Napi::Array>();
    if (pooled.Length() != tableShapes_.size()) throw Napi::RangeError::New(env, "grads.pooled has the wrong table count");
    for (uint32_t t = 0; t < pooled.Length(); ++t)
      grads->pooled.push_back(floatData(pooled.Get(t), static_cast<std::size_t>(batch.size) * tableShapes_[t].dim, "grads.pooled"));
  }
  busy = true;
  auto* worker = new StepWorker(env, this, info.This().As<Napi::Object>(), static_cast<dlrm::StepMode>(mode), std::move(batch), lr, predictions,
                                std::move(grads), keep);
  Napi::Promise p = worker->promise();
  worker->Queue();
  return p;
}

/** The sparse tier alone: tables split across the pool's threads. */
class NativeEmbeddingBags : public Napi::ObjectWrap<NativeEmbeddingBags> {
 public:
  static Napi::Function Define(Napi::Env env) {
    return DefineClass(env, "NativeEmbeddingBags", {InstanceMethod("forward", &NativeEmbeddingBags::Forward), InstanceMethod("update", &NativeEmbeddingBags::Update)});
  }

  explicit NativeEmbeddingBags(const Napi::CallbackInfo& info) : Napi::ObjectWrap<NativeEmbeddingBags>(info) {
    Napi::Object spec = info[0].As<Napi::Object>();
    optimizer_ = optimizerOf(info.Env(), spec.Get("optimizer").As<Napi::String>().Utf8Value());
    tables_ = readTables(spec.Get("tables").As<Napi::Array>(), optimizer_, hugePagesWanted(spec));
    pool_ = std::make_unique<dlrm::ThreadPool>(threadCount(spec));
    scratch_.resize(tables_.size());
    ref_ = Napi::Persistent(spec);
  }

  /** forward(bags, batchSize, outs: Float32Array[] of [B*dim]). */
  Napi::Value Forward(const Napi::CallbackInfo& info) {
    const int B = info[1].As<Napi::Number>().Int32Value();
    auto bags = readBags(info[0].As<Napi::Array>(), B, tables_);
    std::vector<float*> outs = outputs(info[2].As<Napi::Array>(), B, "outs");
    pool_->parallelFor(static_cast<int>(tables_.size()), [&](int t) { dlrm::embeddingBagForward(tables_[t], bags[t], 0, B, outs[t], tables_[t].dim); });
    return info.Env().Undefined();
  }

  /** update(bags, batchSize, grads: Float32Array[] of [B*dim], lr). */
  Napi::Value Update(const Napi::CallbackInfo& info) {
    const int B = info[1].As<Napi::Number>().Int32Value();
    auto bags = readBags(info[0].As<Napi::Array>(), B, tables_);
    std::vector<float*> grads = outputs(info[2].As<Napi::Array>(), B, "grads");
    const float lr = info[3].As<Napi::Number>().FloatValue();
    pool_->parallelFor(static_cast<int>(tables_.size()), [&](int t) {
      dlrm::embeddingBagUpdate(tables_[t], optimizer_, bags[t], B, grads[t], tables_[t].dim, lr, scratch_[t]);
    });
    return info.Env().Undefined();
  }

 private:
  std::vector<float*> outputs(const Napi::Array& arr, int B, const char* what) {
    if (arr.Length() != tables_.size()) throw Napi::RangeError::New(arr.Env(), std::string(what) + " needs one array per table");
    std::vector<float*> out;
    for (uint32_t t = 0; t < arr.Length(); ++t) out.push_back(floatData(arr.Get(t), static_cast<std::size_t>(B) * tables_[t].dim, what));
    return out;
  }

  dlrm::OptimizerKind optimizer_;
  std::vector<EmbeddingTable> tables_;
  std::unique_ptr<dlrm::ThreadPool> pool_;
  std::vector<dlrm::SparseScratch> scratch_;
  Napi::ObjectReference ref_;
};

Napi::Value Info(const Napi::CallbackInfo& info) {
  Napi::Object o = Napi::Object::New(info.Env());
  o.Set("openblas", Napi::String::New(info.Env(), openblas_get_config()));
  o.Set("core", Napi::String::New(info.Env(), openblas_get_corename()));
  o.Set("hardwareThreads", Napi::Number::New(info.Env(), std::thread::hardware_concurrency()));
  o.Set("bf16", Napi::Boolean::New(info.Env(), dlrm::bf16GemmSupported()));
  return o;
}

/** gemm(precision, transA, transB, M, N, K, alpha, A, lda, B, ldb, beta, C, ldc): C = alpha op(A) op(B) + beta C (row-major). */
Napi::Value Gemm(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  const dlrm::Precision p = precisionOf(env, info[0]);
  const bool ta = info[1].ToBoolean(), tb = info[2].ToBoolean();
  auto i32 = [&](int k) {
    const int v = info[k].As<Napi::Number>().Int32Value();
    if (v < 0) throw Napi::RangeError::New(env, "gemm: negative size");
    return v;
  };
  const int M = i32(3), N = i32(4), K = i32(5), lda = i32(8), ldb = i32(10), ldc = i32(13);
  const float alpha = info[6].As<Napi::Number>().FloatValue(), beta = info[11].As<Napi::Number>().FloatValue();
  // op(X) of r x c stored with leading dimension ld: rows x ld (or c x ld transposed), ld >= the stored width
  auto need = [&](int rows, int cols, bool trans, int ld, const char* what) {
    const int storedRows = trans ? cols : rows, storedCols = trans ? rows : cols;
    if (ld < std::max(1, storedCols)) throw Napi::RangeError::New(env, std::string("gemm: ") + what + "'s leading dimension is too small");
    return storedRows == 0 ? 0 : static_cast<std::size_t>(storedRows - 1) * ld + storedCols;
  };
  auto data = [&](int k, std::size_t n, const char* what) {
    float* d = floatData(info[k], static_cast<std::size_t>(-1), what);
    if (info[k].As<Napi::Float32Array>().ElementLength() < n) throw Napi::RangeError::New(env, std::string("gemm: ") + what + " is too short");
    return d;
  };
  const float* A = data(7, need(M, K, ta, lda, "A"), "A");
  const float* B = data(9, need(K, N, tb, ldb, "B"), "B");
  float* C = data(12, need(M, N, false, ldc, "C"), "C");
  dlrm::gemm(p, ta, tb, M, N, K, alpha, A, lda, B, ldb, beta, C, ldc);
  return env.Undefined();
}

/** addressModulo(typedArray, m): the address of its first byte modulo m (to lay rows on cache lines). */
Napi::Value AddressModulo(const Napi::CallbackInfo& info) {
  if (!info[0].IsTypedArray()) throw Napi::TypeError::New(info.Env(), "addressModulo needs a typed array");
  auto a = info[0].As<Napi::TypedArray>();
  const auto base = reinterpret_cast<std::uintptr_t>(a.ArrayBuffer().Data()) + a.ByteOffset();
  const std::uintptr_t m = static_cast<std::uintptr_t>(info[1].As<Napi::Number>().Int64Value());
  if (m == 0) throw Napi::RangeError::New(info.Env(), "addressModulo: modulus must be > 0");
  return Napi::Number::New(info.Env(), static_cast<double>(base % m));
}

/** adviseHugePages(typedArray): MADV_HUGEPAGE (+ collapse) on its 2 MiB-aligned part; returns the bytes covered. */
Napi::Value AdviseHugePages(const Napi::CallbackInfo& info) {
  if (!info[0].IsTypedArray()) throw Napi::TypeError::New(info.Env(), "adviseHugePages needs a typed array");
  auto a = info[0].As<Napi::TypedArray>();
  auto* base = static_cast<std::uint8_t*>(a.ArrayBuffer().Data()) + a.ByteOffset();
  return Napi::Number::New(info.Env(), static_cast<double>(dlrm::adviseHugePages(base, a.ByteLength())));
}

Napi::Object Init(Napi::Env env, Napi::Object exports) {
  // this addon's thread pool owns the parallelism: every GEMM runs single-threaded inside one slice
  openblas_set_num_threads(1);
  exports.Set("NativeDlrm", NativeDlrm::Define(env));
  exports.Set("NativeEmbeddingBags", NativeEmbeddingBags::Define(env));
  exports.Set("info", Napi::Function::New(env, Info));
  exports.Set("gemm", Napi::Function::New(env, Gemm));
  exports.Set("addressModulo", Napi::Function::New(env, AddressModulo));
  exports.Set("adviseHugePages", Napi::Function::New(env, AdviseHugePages));
  exports.Set("parseCriteoBlock", Napi::Function::New(env, dlrm::ParseCriteoBlock));
  exports.Set("parseDelimitedBlock", Napi::Function::New(env, dlrm::ParseDelimitedBlock));
  exports.Set("assignFirstAppearance", Napi::Function::New(env, dlrm::AssignFirstAppearance));
  exports.Set("packRows", Napi::Function::New(env, dlrm::PackRows));
  exports.Set("gatherRows", Napi::Function::New(env, dlrm::GatherRows));
  exports.Set("shuffledOrder", Napi::Function::New(env, dlrm::ShuffledOrder));
  exports.Set("checkGroupAsync", Napi::Function::New(env, dlrm::CheckGroupAsync));
  exports.Set("crc32", Napi::Function::New(env, dlrm::Crc32));
  exports.Set("randomBlock", Napi::Function::New(env, dlrm::RandomBlock));
  return exports;
}

}  // namespace

NODE_API_MODULE(dlrm_native, Init)

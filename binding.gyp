{
  "targets": [
    {
      "target_name": "dlrm_native",
      "sources": [
        "src/engine/native/csrc/addon.cc",
        "src/engine/native/csrc/crossNet.cc",
        "src/engine/native/csrc/deepCross.cc",
        "src/engine/native/csrc/bf16Gemm.cc",
        "src/engine/native/csrc/dlrmModel.cc",
        "src/engine/native/csrc/embeddingBag.cc",
        "src/engine/native/csrc/gemm.cc",
        "src/engine/native/csrc/hugePages.cc",
        "src/engine/native/csrc/interaction.cc",
        "src/engine/native/csrc/linearLayer.cc",
        "src/engine/native/csrc/loss.cc",
        "src/engine/native/csrc/optimizer.cc",
        "src/engine/native/csrc/threadPool.cc",
        "src/dataset/csrc/groupCheck.cc",
        "src/dataset/csrc/randomBlock.cc",
        "src/preprocess/csrc/criteoBlockParser.cc",
        "src/rawformat/csrc/delimitedBlockParser.cc",
        "src/preprocess/csrc/rowGather.cc",
        "src/preprocess/csrc/shuffleOrder.cc",
        "src/preprocess/csrc/vocabularyAssign.cc"
      ],
      "include_dirs": ["src/preprocess/csrc", "src/dataset/csrc", "<!(node -p \"require('node-addon-api').include_dir\")", "/usr/include/x86_64-linux-gnu/openblas-pthread", "/usr/include/openblas"],
      "defines": ["NAPI_VERSION=8", "NAPI_CPP_EXCEPTIONS"],
      "cflags!": ["-fno-exceptions", "-O2"],
      "cflags_cc!": ["-fno-exceptions", "-O2", "-fno-rtti"],
      "cflags_cc": ["-O3", "-std=c++17", "-fexceptions", "-fno-math-errno", "-pthread"],
      "libraries": ["-lopenblas", "-pthread"]
    }
  ]
}

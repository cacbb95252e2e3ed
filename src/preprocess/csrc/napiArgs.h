// N-API argument checks shared by the preprocess kernels: a typed array of one element type (its data and
// length, read with napi_get_typedarray_info, which also works on SharedArrayBuffer memory where
// TypedArray::ArrayBuffer() fails) and numbers, each refused with a TypeError naming the argument.
#pragma once
#include <napi.h>

#include <cstdint>
#include <string>
#include <type_traits>

namespace dlrm {

/** The JS typed array that holds elements of type T. */
template <typename T>
struct TypedArrayOf;
template <>
struct TypedArrayOf<std::uint8_t> {
  static constexpr napi_typedarray_type type = napi_uint8_array;
  static constexpr const char* name = "Uint8Array";
};
template <>
struct TypedArrayOf<std::int32_t> {
  static constexpr napi_typedarray_type type = napi_int32_array;
  static constexpr const char* name = "Int32Array";
};
template <>
struct TypedArrayOf<std::uint32_t> {
  static constexpr napi_typedarray_type type = napi_uint32_array;
  static constexpr const char* name = "Uint32Array";
};
template <>
struct TypedArrayOf<float> {
  static constexpr napi_typedarray_type type = napi_float32_array;
  static constexpr const char* name = "Float32Array";
};
template <>
struct TypedArrayOf<double> {
  static constexpr napi_typedarray_type type = napi_float64_array;
  static constexpr const char* name = "Float64Array";
};

/** The data of `v`, which must be a typed array of T (`what` names it in the error); its length into *length. */
template <typename T>
T* typedArrayArg(const Napi::Value& v, const std::string& what, std::size_t* length) {
  using Kind = TypedArrayOf<std::remove_const_t<T>>;
  if (!v.IsTypedArray() || v.As<Napi::TypedArray>().TypedArrayType() != Kind::type)
    throw Napi::TypeError::New(v.Env(), what + " must be a " + Kind::name);
  void* data = nullptr;
  napi_get_typedarray_info(v.Env(), v, nullptr, length, &data, nullptr, nullptr);
  return static_cast<T*>(data);
}

/** `v` as a number (`what` names it in the error). */
inline double numberArg(const Napi::Value& v, const std::string& what) {
  if (!v.IsNumber()) throw Napi::TypeError::New(v.Env(), what + " must be a number");
  return v.As<Napi::Number>().DoubleValue();
}

/** `v` as a non-negative count (`what` names it in the error). */
inline std::size_t countArg(const Napi::Value& v, const std::string& what) {
  const double x = numberArg(v, what);
  if (x < 0) throw Napi::TypeError::New(v.Env(), what + " must be a non-negative number");
  return static_cast<std::size_t>(x);
}

}  // namespace dlrm

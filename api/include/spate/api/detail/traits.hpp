// Deducing record types from the signatures of user lambdas.
#pragma once

#include <cstddef>
#include <tuple>
#include <type_traits>

namespace spate::detail {

template <class F>
struct callable_traits : callable_traits<decltype(&std::decay_t<F>::operator())> {};

template <class C, class R, class... A>
struct callable_traits<R (C::*)(A...) const> {
  using args = std::tuple<A...>;
  using result = R;
};

template <class C, class R, class... A>
struct callable_traits<R (C::*)(A...)> {
  using args = std::tuple<A...>;
  using result = R;
};

template <class R, class... A>
struct callable_traits<R (*)(A...)> {
  using args = std::tuple<A...>;
  using result = R;
};

template <class F, std::size_t I>
using arg_t = std::decay_t<std::tuple_element_t<I, typename callable_traits<F>::args>>;

//! The record type inside collector<X>, process_context<X>, ...
template <class C>
struct inner_type;
template <template <class...> class C, class X>
struct inner_type<C<X>> {
  using type = X;
};
template <template <class...> class C, class K, class X>
struct inner_type<C<K, X>> {
  using type = X;
};

template <class F, class = void>
struct has_process_element : std::false_type {};
template <class F>
struct has_process_element<F, std::void_t<typename F::output_type, typename F::context>>
    : std::true_type {};

} // namespace spate::detail

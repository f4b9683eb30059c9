// std::visit over a plan's operations with one lambda per op type (the printer, the child's
// and the parent's walks).
#pragma once

namespace barco {

template <class... Ts>
struct overloaded : Ts... {
  using Ts::operator()...;
};
template <class... Ts>
overloaded(Ts...) -> overloaded<Ts...>;

}  // namespace barco

// CLOCK_MONOTONIC in nanoseconds, for --timings (a vDSO call: no syscall).
#pragma once

#include <cstdint>
#include <ctime>

namespace barco {

inline int64_t monotonic_ns() {
  timespec ts{};
  ::clock_gettime(CLOCK_MONOTONIC, &ts);
  return int64_t{ts.tv_sec} * 1'000'000'000 + ts.tv_nsec;
}

}  // namespace barco

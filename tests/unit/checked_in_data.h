// Files checked into the repository (data/profiles, ...) as tests read them: from the source tree the tests
// were built in, or from $MISSILE_SOURCE_DIR where that is set (binaries carried to another machine, whose
// copy of the repository lies elsewhere: scripts/device/env.sh sets it).
#pragma once

#include <cstdlib>
#include <string>
#include <string_view>

namespace missile::test_data {

inline std::string CheckedInPath(std::string_view relative) {
  const char* root = std::getenv("MISSILE_SOURCE_DIR");
  return std::string(root != nullptr && *root != '\0' ? root : MISSILE_SOURCE_DIR) + "/" +
         std::string(relative);
}

}  // namespace missile::test_data

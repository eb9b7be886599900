// Whole-file reads, sized up front: model files reach hundreds of MB, and a stream-then-copy read would hold
// two copies at once.
#pragma once

#include <string>

#include "core/status.h"

namespace missile {

// The file's bytes, or kNotFound naming the file (and `what` it was meant to be, e.g. "model").
Result<std::string> ReadFileBytes(const std::string& path, const char* what);

}  // namespace missile

#include <iostream>

#include "cli/commands.h"

namespace missile::cli {

int ReportError(const Status& status) {
  std::cerr << "missile: error: " << status.message() << "\n";
  return status.code() == ErrorCode::kInvalidArgument ? 2 : 1;
}

}  // namespace missile::cli

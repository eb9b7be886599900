#include "core/file_io.h"

#include <fstream>

namespace missile {

Result<std::string> ReadFileBytes(const std::string& path, const char* what) {
  std::ifstream file(path, std::ios::binary | std::ios::ate);
  if (!file) return Error(ErrorCode::kNotFound, "cannot open {} '{}'", what, path);
  const std::streamsize size = file.tellg();
  if (size < 0) return Error(ErrorCode::kNotFound, "cannot read {} '{}'", what, path);
  std::string bytes(static_cast<size_t>(size), '\0');
  file.seekg(0);
  if (!file.read(bytes.data(), size)) return Error(ErrorCode::kNotFound, "cannot read {} '{}'", what, path);
  return bytes;
}

}  // namespace missile

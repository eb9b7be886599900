// Byte counts as people write them in configuration: 1048576, "64MiB", "1.5 GiB", "500MB".
#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <string_view>

#include "core/status.h"

namespace missile::server {

// Binary units (KiB, MiB, GiB, TiB: powers of 1024), decimal units (KB, MB, GB, TB: powers of 1000), "B" or
// no unit for bytes; case-insensitive; a space between number and unit is allowed. The result must be a whole
// number of bytes.
Result<uint64_t> ParseByteSize(std::string_view text);

// A JSON number (bytes) or a string as above; `path` names the field in errors.
Result<uint64_t> ByteSizeFromJson(const nlohmann::json& value, std::string_view path);

}  // namespace missile::server

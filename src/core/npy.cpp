#include "core/npy.h"

#include <fmt/ranges.h>

#include <cctype>
#include <cstring>
#include <fstream>
#include <regex>
#include <sstream>

#include "core/file_io.h"

namespace missile {
namespace {

constexpr char kMagic[] = "\x93NUMPY";
constexpr size_t kMagicSize = 6;

struct DescrMapping {
  std::string_view descr;
  DataType dtype;
};
// '<' little-endian, '|' not applicable (one byte). Missile runs on little-endian hosts only.
constexpr DescrMapping kDescrs[] = {
    {"<f4", DataType::kFloat32}, {"<f2", DataType::kFloat16}, {"<f8", DataType::kFloat64},
    {"<i8", DataType::kInt64},   {"<i4", DataType::kInt32},   {"|i1", DataType::kInt8},
    {"|u1", DataType::kUInt8},   {"|b1", DataType::kBool},
};

Result<DataType> DataTypeFromDescr(const std::string& descr, const std::string& what) {
  for (const auto& m : kDescrs) {
    if (m.descr == descr) return m.dtype;
  }
  return Error(ErrorCode::kInvalidArgument,
               "{}: unsupported .npy dtype '{}' (supported: float32, float16, float64, "
               "int64, int32, int8, uint8, bool, little-endian)",
               what, descr);
}

std::string_view DescrOf(DataType dtype) {
  for (const auto& m : kDescrs) {
    if (m.dtype == dtype) return m.descr;
  }
  return "?";
}

}  // namespace

Result<Tensor> ParseNpy(std::string_view bytes, const std::string& what) {
  if (bytes.size() < kMagicSize + 4 || std::memcmp(bytes.data(), kMagic, kMagicSize) != 0) {
    return Error(ErrorCode::kInvalidArgument, "{}: not a .npy file (bad magic)", what);
  }
  const auto major = static_cast<uint8_t>(bytes[6]);
  size_t header_len = 0;
  size_t header_start = 0;
  if (major == 1) {
    header_len = static_cast<uint8_t>(bytes[8]) | (static_cast<size_t>(static_cast<uint8_t>(bytes[9])) << 8);
    header_start = 10;
  } else if (major == 2 || major == 3) {
    if (bytes.size() < 12) return Error(ErrorCode::kInvalidArgument, "{}: truncated .npy header", what);
    for (int i = 0; i < 4; ++i)
      header_len |= static_cast<size_t>(static_cast<uint8_t>(bytes[8 + i])) << (8 * i);
    header_start = 12;
  } else {
    return Error(ErrorCode::kInvalidArgument, "{}: unsupported .npy format version {}", what, major);
  }
  if (bytes.size() < header_start + header_len) {
    return Error(ErrorCode::kInvalidArgument, "{}: truncated .npy header", what);
  }
  const std::string header(bytes.substr(header_start, header_len));

  static const std::regex kDescr(R"('descr'\s*:\s*'([^']*)')");
  static const std::regex kFortran(R"('fortran_order'\s*:\s*(True|False))");
  static const std::regex kShape(R"('shape'\s*:\s*\(([^)]*)\))");
  std::smatch descr_match, fortran_match, shape_match;
  if (!std::regex_search(header, descr_match, kDescr) ||
      !std::regex_search(header, fortran_match, kFortran) ||
      !std::regex_search(header, shape_match, kShape)) {
    return Error(ErrorCode::kInvalidArgument, "{}: malformed .npy header '{}'", what, header);
  }
  if (fortran_match[1] == "True") {
    return Error(ErrorCode::kInvalidArgument,
                 "{}: Fortran-order arrays are not supported (save with numpy.ascontiguousarray)", what);
  }
  MISSILE_ASSIGN_OR_RETURN(DataType dtype, DataTypeFromDescr(descr_match[1], what));

  Shape shape;
  std::stringstream dims(shape_match[1].str());
  std::string dim;
  while (std::getline(dims, dim, ',')) {
    const auto first = dim.find_first_not_of(" \t");
    if (first == std::string::npos) continue;  // trailing comma of a 1-tuple
    char* end = nullptr;
    const long long value = std::strtoll(dim.c_str() + first, &end, 10);
    if (value < 0 || end == dim.c_str() + first) {
      return Error(ErrorCode::kInvalidArgument, "{}: malformed .npy shape '({})'", what,
                   shape_match[1].str());
    }
    shape.push_back(value);
  }

  Tensor tensor(dtype, shape);
  const size_t data_start = header_start + header_len;
  if (bytes.size() - data_start != tensor.nbytes()) {
    return Error(ErrorCode::kInvalidArgument, "{}: .npy holds {} data bytes, but shape {} of {} needs {}",
                 what, bytes.size() - data_start, ShapeToString(shape), DataTypeName(dtype), tensor.nbytes());
  }
  if (tensor.nbytes() > 0) std::memcpy(tensor.raw_data(), bytes.data() + data_start, tensor.nbytes());
  return tensor;
}

Result<Tensor> ReadNpy(const std::string& path) {
  MISSILE_ASSIGN_OR_RETURN(const std::string bytes, ReadFileBytes(path, "file"));
  return ParseNpy(bytes, path);
}

std::string SerializeNpy(const Tensor& tensor) {
  std::string shape = fmt::format("{}", fmt::join(tensor.shape(), ", "));
  if (tensor.rank() == 1) shape += ",";  // a Python 1-tuple: "(5,)"
  std::string header = fmt::format("{{'descr': '{}', 'fortran_order': False, 'shape': ({}), }}",
                                   DescrOf(tensor.dtype()), shape);
  // Pad with spaces so the data starts on a 64-byte boundary, newline-terminated, as numpy writes it.
  const size_t unpadded = kMagicSize + 4 + header.size() + 1;
  header.append((64 - unpadded % 64) % 64, ' ');
  header.push_back('\n');

  std::string out(kMagic, kMagicSize);
  out.push_back('\x01');
  out.push_back('\x00');
  out.push_back(static_cast<char>(header.size() & 0xff));
  out.push_back(static_cast<char>((header.size() >> 8) & 0xff));
  out += header;
  out.append(static_cast<const char*>(tensor.raw_data()), tensor.nbytes());
  return out;
}

std::string NpyFileName(std::string_view tensor_name) {
  std::string name(tensor_name);
  for (char& c : name) {
    const bool safe = std::isalnum(static_cast<unsigned char>(c)) || c == '.' || c == '_' || c == '-';
    if (!safe) c = '_';
  }
  return name + ".npy";
}

Status WriteNpy(const std::string& path, const Tensor& tensor) {
  std::ofstream file(path, std::ios::binary | std::ios::trunc);
  if (!file) return Error(ErrorCode::kInvalidArgument, "cannot write '{}'", path);
  const std::string bytes = SerializeNpy(tensor);
  file.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
  if (!file) return Error(ErrorCode::kInternal, "short write to '{}'", path);
  return Status::Ok();
}

}  // namespace missile

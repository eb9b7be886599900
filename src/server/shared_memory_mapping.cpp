#include "server/shared_memory_mapping.h"

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace missile::server {
namespace {

// Closes the descriptor when the mapping is made (the mapping outlives it).
struct Descriptor {
  int fd = -1;
  ~Descriptor() {
    if (fd >= 0) close(fd);
  }
};

}  // namespace

Status CheckSharedMemoryKey(const std::string& key) {
  if (key.size() < 2 || key.size() > 251 || key.front() != '/' || key.find('/', 1) != std::string::npos) {
    return Error(ErrorCode::kInvalidArgument,
                 "shared-memory key '{}' must be '/' followed by 1-250 characters without '/'", key);
  }
  return Status::Ok();
}

Result<std::shared_ptr<SharedMemoryMapping>> SharedMemoryMapping::Open(const std::string& key,
                                                                       uint64_t offset, uint64_t size) {
  MISSILE_RETURN_IF_ERROR(CheckSharedMemoryKey(key));
  if (size == 0) return Error(ErrorCode::kInvalidArgument, "shared-memory key '{}': byte_size is 0", key);
  Descriptor object{shm_open(key.c_str(), O_RDWR, 0)};
  if (object.fd < 0) {
    const int error = errno;
    return Error(error == ENOENT ? ErrorCode::kNotFound : ErrorCode::kInvalidArgument,
                 "cannot open shared-memory key '{}': {}", key, std::strerror(error));
  }
  struct stat info {};
  if (fstat(object.fd, &info) != 0) {
    return Error(ErrorCode::kInternal, "shared-memory key '{}': fstat: {}", key, std::strerror(errno));
  }
  const uint64_t object_size = static_cast<uint64_t>(info.st_size);
  uint64_t end = 0;
  if (__builtin_add_overflow(offset, size, &end) || end > object_size) {
    return Error(ErrorCode::kInvalidArgument,
                 "shared-memory key '{}' holds {} bytes: offset {} + byte_size {} lies past its end", key,
                 object_size, offset, size);
  }
  // mmap takes page-aligned offsets: map from the page holding `offset`.
  const uint64_t page = static_cast<uint64_t>(sysconf(_SC_PAGESIZE));
  const uint64_t start = offset / page * page;
  const size_t mapped = static_cast<size_t>(end - start);
  void* base =
      mmap(nullptr, mapped, PROT_READ | PROT_WRITE, MAP_SHARED, object.fd, static_cast<off_t>(start));
  if (base == MAP_FAILED) {
    return Error(ErrorCode::kInternal, "cannot map shared-memory key '{}': {}", key, std::strerror(errno));
  }
  auto* data = static_cast<std::byte*>(base) + (offset - start);
  return std::shared_ptr<SharedMemoryMapping>(
      new SharedMemoryMapping(key, base, mapped, data, static_cast<size_t>(size), /*owned=*/false));
}

Result<std::shared_ptr<SharedMemoryMapping>> SharedMemoryMapping::Create(const std::string& key,
                                                                         uint64_t size) {
  MISSILE_RETURN_IF_ERROR(CheckSharedMemoryKey(key));
  if (size == 0) return Error(ErrorCode::kInvalidArgument, "shared-memory key '{}': size is 0", key);
  Descriptor object{shm_open(key.c_str(), O_RDWR | O_CREAT | O_EXCL, 0600)};
  if (object.fd < 0) {
    return Error(ErrorCode::kInvalidArgument, "cannot create shared-memory key '{}': {}", key,
                 std::strerror(errno));
  }
  const auto fail = [&](const char* what) {
    const int error = errno;
    shm_unlink(key.c_str());
    return Error(ErrorCode::kInternal, "shared-memory key '{}': {}: {}", key, what, std::strerror(error));
  };
  if (ftruncate(object.fd, static_cast<off_t>(size)) != 0) return fail("ftruncate");
  void* base = mmap(nullptr, size, PROT_READ | PROT_WRITE, MAP_SHARED, object.fd, 0);
  if (base == MAP_FAILED) return fail("mmap");
  return std::shared_ptr<SharedMemoryMapping>(new SharedMemoryMapping(
      key, base, static_cast<size_t>(size), static_cast<std::byte*>(base), static_cast<size_t>(size),
      /*owned=*/true));
}

SharedMemoryMapping::~SharedMemoryMapping() {
  munmap(base_, mapped_);
  if (owned_) shm_unlink(key_.c_str());
}

}  // namespace missile::server

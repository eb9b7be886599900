#include "server/blas_threads.h"

#include <cblas.h>

namespace missile::server {

int ConfigureBlasThreads(int configured, int computing_at_once) {
  if (configured > 0) {
    openblas_set_num_threads(configured);
  } else if (computing_at_once > 1) {
    openblas_set_num_threads(1);
  }
  return openblas_get_num_threads();
}

}  // namespace missile::server

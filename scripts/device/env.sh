# Sourced on the GPU machine: unpacks $MISSILE_PACK (default .deps/device.tar.xz, made by scripts/device/pack.sh)
# into $MISSILE_ROOT and points the loader at the packed Debian libraries, the cuDNN 9.19 that PyTorch's venv
# carries (the version we build against; the system has 9.14) and the CUDA toolkit's cuBLAS.
MISSILE_ROOT=${MISSILE_ROOT:-/tmp/missile-device}
rm -rf "$MISSILE_ROOT" && mkdir -p "$MISSILE_ROOT" && tar -C "$MISSILE_ROOT" -xJf "${MISSILE_PACK:-.deps/device.tar.xz}"
cudnn_lib=$(ls -d /opt/torch/.venv/lib/python3*/site-packages/nvidia/cudnn/lib 2>/dev/null | head -1)
export LD_LIBRARY_PATH="$MISSILE_ROOT/lib:${cudnn_lib:+$cudnn_lib:}/usr/local/cuda/lib64${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"
export MISSILE_BIN="$MISSILE_ROOT/bin"
export OUT=${OUT:-/tmp/out}
# The unit tests read checked-in files (data/profiles) from the repository copy they run in.
export MISSILE_SOURCE_DIR=${MISSILE_SOURCE_DIR:-$PWD}

#!/usr/bin/env bash
# Installs what building and testing Missile needs on Debian 12, from Debian's own packages.
# Does nothing when everything is already there, so the run and test commands can always call it.
set -euo pipefail

PACKAGES=(
  build-essential cmake ninja-build git pkg-config
  libonnx-dev libprotobuf-dev protobuf-compiler libopenblas-dev
  libcli11-dev nlohmann-json3-dev libspdlog-dev libfmt-dev libboost-dev
  libgtest-dev libgmock-dev libbenchmark-dev
  python3 python3-numpy python3-onnx python3-torch python3-torchvision
)

missing=()
for package in "${PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "install ok installed" || missing+=("$package")
done
if [ ${#missing[@]} -eq 0 ]; then
  exit 0
fi

echo "installing: ${missing[*]}"
sudo=""
if [ "$(id -u)" -ne 0 ]; then sudo="sudo"; fi
$sudo apt-get update -qq
DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null

#!/usr/bin/env bash
# Petalflow device check: ONE prepared command for a GPU host with no network.
#
#   bash scripts/device-check.sh --prepare    # here (a dev machine with node_modules): build .device-bundle/
#   bash scripts/device-check.sh              # on the GPU host, from the repository root
#   bash scripts/device-check.sh --cpu-only   # dry run, CPU alone, small sizes (CI runs this)
#
# What it does (scripts/device-check.ts): prints the GPU (nvidia-smi) and which execution providers
# start (cpu, cuda, webgpu — each tried for real, with onnxruntime's reason when one does not); runs the
# demo model's txt2img (models/petalflow-shapes, 64², 25 DDIM steps, seed 42) on the CPU and on each GPU
# provider that starts and prints the max latent difference (tolerance: server/diffusion/latent-compare.ts);
# times one U-Net call (batch 2) at 64², 256², 512² and a 25-step txt2img at 512², each GPU ÷ CPU; writes
# everything to $OUT/device-check.json (OUT defaults to ./out). Exit 1 if a comparison is outside the
# tolerance or a stage failed. Budget: under 5 minutes (the node step runs under `timeout 280`).
#
# How it travels. The device machine gets the working tree (tracked and untracked-not-ignored files,
# ≈ 24 MB, the 22 MB demo model included) plus "carry" paths, 64 MiB in all, and nothing else: no
# node_modules (1.2 GB), maybe no Node, no network. So `--prepare` builds a small ignored folder,
# .device-bundle/ (≈ 38 MB), to carry with it:
#   node.xz                         the Node binary running here (official build: glibc only), xz ≈ 24 MB
#   app/device-check.mjs            scripts/device-check.ts and the Petalflow modules it uses, one esbuild
#                                   bundle (pure-JS dependencies inside), ≈ 1 MB
#   app/node_modules/onnxruntime-node   its dist/ and bin/napi-v6/linux/x64 only: the N-API binding and
#                                   libonnxruntime.so.1.xz (46 MB → ≈ 12.6 MB; it contains the WebGPU
#                                   provider, Dawn over Vulkan), plus onnxruntime-common's dist/cjs
# and prints what would travel against the 64 MiB limit. The Vulkan loader comes as a Debian .deb
# committed in scripts/device/debs/ (libvulkan1, 116 kB: Dawn dlopens libvulkan.so.1 and nothing
# else; plus libglvnd0, 52 kB: libGLdispatch.so.0, which NVIDIA's Vulkan ICD libGLX_nvidia.so.0 links
# to; the NVIDIA driver on the host provides the ICD itself, no Mesa). Each is unpacked under /tmp and
# put on LD_LIBRARY_PATH only when the host lacks its library. The CUDA provider is NOT carried
# (onnxruntime-node's cuda12 libraries are a download, and with cuDNN/cuBLAS far over the limit): on
# the device it is reported as not starting, with the reason; WebGPU is the GPU provider checked.
#
# With the device tool: `bash scripts/device-check.sh --prepare` here once, then
#   run(command="bash scripts/device-check.sh", carry=[".device-bundle"], timeout_s=420)
# from the checkout the tool sends (the session's own repository). Where node_modules exists (a dev
# machine, CI), the script runs the TypeScript directly through tsx and needs no bundle
# (PETALFLOW_DEVICE_USE_BUNDLE=1 forces the bundle, to try it here).
set -euo pipefail

cd "$(dirname "$0")/.."
ROOT=$PWD
BUNDLE=$ROOT/.device-bundle
MODE=full
case "${1:-}" in
  --prepare) MODE=prepare ;;
  --cpu-only) MODE=cpu-only ;;
  "") ;;
  *) echo "usage: bash scripts/device-check.sh [--prepare | --cpu-only]" >&2; exit 2 ;;
esac
export OUT="${OUT:-$ROOT/out}"

xz_compress() { # src dest: recompress only when the source is newer
  if [[ ! -f "$2" || "$1" -nt "$2" ]]; then xz -T0 -6 -c "$1" >"$2.tmp" && mv "$2.tmp" "$2"; fi
}
xz_decompress() { # src dest: xz, else Python's lzma (both are on the CUDA image; one is enough)
  if command -v xz >/dev/null; then xz -dc "$1" >"$2"
  else python3 -c 'import lzma,shutil,sys; shutil.copyfileobj(lzma.open(sys.argv[1]), open(sys.argv[2],"wb"))' "$1" "$2"; fi
}

if [[ $MODE == prepare ]]; then
  ORT=node_modules/onnxruntime-node
  [[ -d $ORT ]] || { echo "--prepare needs node_modules (npm install)" >&2; exit 2; }
  mkdir -p "$BUNDLE/app/node_modules/onnxruntime-node/bin/napi-v6/linux/x64" "$BUNDLE/app/node_modules/onnxruntime-common/dist"
  node_modules/esbuild/bin/esbuild scripts/device-check.ts --bundle --platform=node --format=esm \
    --target=node20 --external:onnxruntime-node --log-level=warning --outfile="$BUNDLE/app/device-check.mjs" \
    --banner:js="import { createRequire as __pfRequire } from 'node:module'; const require = __pfRequire(import.meta.url);"
  cp -r $ORT/package.json $ORT/dist "$BUNDLE/app/node_modules/onnxruntime-node/"
  cp $ORT/bin/napi-v6/linux/x64/onnxruntime_binding.node "$BUNDLE/app/node_modules/onnxruntime-node/bin/napi-v6/linux/x64/"
  xz_compress $ORT/bin/napi-v6/linux/x64/libonnxruntime.so.1 "$BUNDLE/libonnxruntime.so.1.xz"
  cp node_modules/onnxruntime-common/package.json "$BUNDLE/app/node_modules/onnxruntime-common/"
  cp -r node_modules/onnxruntime-common/dist/cjs "$BUNDLE/app/node_modules/onnxruntime-common/dist/"
  xz_compress "$(command -v node)" "$BUNDLE/node.xz"
  tree_bytes=$( (git ls-files -z; git ls-files -z --others --exclude-standard) | xargs -0 stat -c %s 2>/dev/null | awk '{s+=$1} END {print s+0}')
  bundle_bytes=$(du -sb "$BUNDLE" | cut -f1)
  total=$((tree_bytes + bundle_bytes)); limit=$((64 * 1024 * 1024))
  awk -v t="$tree_bytes" -v b="$bundle_bytes" -v l="$limit" 'BEGIN { printf "working tree %.1f MB + .device-bundle %.1f MB = %.1f MB of the 64 MiB (%.1f MB) that travels\n", t/1e6, b/1e6, (t+b)/1e6, l/1e6 }'
  if ((total > limit)); then echo "too large to travel" >&2; exit 1; fi
  exit 0
fi

if [[ $MODE == full ]]; then
  echo "== GPU"
  nvidia-smi --query-gpu=name,driver_version,memory.total,memory.used --format=csv 2>/dev/null || echo "nvidia-smi: not available"
  # The Vulkan loader for WebGPU (Dawn), and glvnd's libGLdispatch that NVIDIA's Vulkan ICD
  # (libGLX_nvidia.so.0) links to: the host's own, else the carried Debian packages, under /tmp.
  VK=/tmp/petalflow-vulkan
  rm -rf "$VK" && mkdir -p "$VK"
  for pair in libvulkan1:libvulkan.so.1 libglvnd0:libGLdispatch.so.0; do
    pkg=${pair%%:*} lib=${pair#*:}
    if ldconfig -p 2>/dev/null | grep -q "$lib "; then continue; fi
    deb=$(ls scripts/device/debs/"$pkg"_*.deb)
    if command -v dpkg-deb >/dev/null; then dpkg-deb -x "$deb" "$VK"
    else (cd "$VK" && ar x "$ROOT/$deb" data.tar.xz && tar -xJf data.tar.xz && rm data.tar.xz); fi
    echo "carried $pkg for $lib"
  done
  if [[ -d $VK/usr/lib/x86_64-linux-gnu ]]; then
    export LD_LIBRARY_PATH="$VK/usr/lib/x86_64-linux-gnu${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"
  fi
  # Where this workplace mounts the driver's user-space libraries, if ldconfig does not list them.
  if [[ -d /usr/local/nvidia/lib64 ]]; then export LD_LIBRARY_PATH="${LD_LIBRARY_PATH:+$LD_LIBRARY_PATH:}/usr/local/nvidia/lib64"; fi
  echo "LD_LIBRARY_PATH=${LD_LIBRARY_PATH:-}"
  # The NVIDIA ICD manifest: where the loader looks by default, else where this workplace mounts the driver.
  if ! ls /usr/share/vulkan/icd.d/*.json /etc/vulkan/icd.d/*.json >/dev/null 2>&1; then
    for icd in /usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json /usr/share/vulkan/icd.d/nvidia_icd.json \
      /etc/vulkan/icd.d/nvidia_icd.json; do
      if [[ -f $icd ]]; then export VK_DRIVER_FILES=$icd VK_ICD_FILENAMES=$icd; echo "Vulkan ICD: $icd"; break; fi
    done
  fi
fi

ARGS=()
[[ $MODE == cpu-only ]] && ARGS+=(--cpu-only)
mkdir -p "$OUT"
if [[ -d node_modules/onnxruntime-node && -x node_modules/.bin/tsx && -z ${PETALFLOW_DEVICE_USE_BUNDLE:-} ]]; then
  # A dev machine or CI: the TypeScript as it is.
  exec timeout 280 node_modules/.bin/tsx scripts/device-check.ts "${ARGS[@]}"
fi
[[ -f $BUNDLE/app/device-check.mjs ]] || {
  echo "no node_modules and no .device-bundle: run 'bash scripts/device-check.sh --prepare' on a dev machine and carry .device-bundle" >&2
  exit 2
}
RUN=/tmp/petalflow-device
rm -rf "$RUN" && mkdir -p "$RUN" && cp -r "$BUNDLE/app" "$RUN/"
xz_decompress "$BUNDLE/libonnxruntime.so.1.xz" "$RUN/app/node_modules/onnxruntime-node/bin/napi-v6/linux/x64/libonnxruntime.so.1"
NODE=$(command -v node || true)
if [[ -z $NODE ]] || ! "$NODE" -e 'process.exit(+process.versions.node.split(".")[0] >= 20 ? 0 : 1)'; then
  xz_decompress "$BUNDLE/node.xz" "$RUN/node" && chmod +x "$RUN/node" && NODE=$RUN/node
fi
echo "node: $NODE ($("$NODE" --version))"
set -o pipefail
timeout 280 "$NODE" "$RUN/app/device-check.mjs" "${ARGS[@]}" 2>&1 | tee "$OUT/device-check.log"

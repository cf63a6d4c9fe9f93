# The sandbox image: keep its tag equal to the @cloudflare/sandbox version in package.json.
FROM docker.io/cloudflare/sandbox:0.12.10

# No interpreter pools: we only ever run bash (exec), never the SDK's code interpreter. The
# image's control plane pre-starts <LANGUAGE>_POOL_MIN_SIZE interpreter processes per language
# when it starts, and this image sets 3 for JavaScript and 3 for TypeScript (Python has none):
# six idle `node` processes in every container (the Dockerfile @cloudflare/sandbox 0.12.10
# ships, stage "default"; packages/sandbox-container/src/runtime/process-pool.ts of
# cloudflare/sandbox-sdk, startPreWarming, at 0.12.7, which reads these variables). With 0,
# nothing is pre-started; an interpreter would start only if something asked for one.
# Measured (README, Decisions: instance type): the control plane idle holds 311 MiB with those
# pools, more than a lite container has, and 42 MiB without.
ENV PYTHON_POOL_MIN_SIZE=0 JAVASCRIPT_POOL_MIN_SIZE=0 TYPESCRIPT_POOL_MIN_SIZE=0

# The ctx repo is cloned and edited here.
WORKDIR /workspace

# The sandbox image: keep its tag equal to the @cloudflare/sandbox version in package.json.
FROM docker.io/cloudflare/sandbox:0.12.10

# The ctx repo is cloned and edited here.
WORKDIR /workspace

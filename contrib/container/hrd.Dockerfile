# hrd in a container, for compose.yaml beside this file (build context:
# the repository's root). The socket goes to /run/homerack, a volume the
# other containers mount too. README.md here explains the uid/gid rules.

FROM debian:12 AS build
RUN apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y \
        --no-install-recommends build-essential cmake pkgconf libuv1-dev \
        libprotobuf-c-dev protobuf-c-compiler protobuf-compiler grpc-proto \
        libnghttp2-dev libsqlite3-dev libpq-dev nettle-dev libcmocka-dev \
        sqlite3 scdoc
COPY . /src
RUN cmake -S /src -B /build -DCMAKE_BUILD_TYPE=Release \
        -DCMAKE_INSTALL_PREFIX=/usr \
    && cmake --build /build -j"$(nproc)" \
    && DESTDIR=/out cmake --install /build

FROM debian:12-slim
RUN apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y \
        --no-install-recommends libuv1 libprotobuf-c1 libsqlite3-0 libnettle8 \
        libpq5 libnghttp2-14 \
    && rm -rf /var/lib/apt/lists/*
COPY --from=build /out/usr/ /usr/
# Fixed ids: the other containers must use the same numbers (README.md).
# The directories' owner and mode are copied into a new named volume.
RUN groupadd --system --gid 990 homerack \
    && useradd --system --uid 990 --gid homerack --no-create-home \
        --home-dir /var/lib/homerack --shell /usr/sbin/nologin homerack \
    && install -d -o homerack -g homerack -m 0750 /run/homerack \
    && install -d -o homerack -g homerack -m 0750 /var/lib/homerack
ENV HOMERACK_SOCKET=/run/homerack/hrd.sock \
    DATABASE_URL=sqlite:////var/lib/homerack/homerack.db \
    HOMERACK_MIGRATIONS=/usr/share/homerack/migrations \
    HOMERACK_MODELS=/usr/share/homerack/models
USER homerack
WORKDIR /var/lib/homerack
CMD ["hrd", "--admin-group", "homerack"]

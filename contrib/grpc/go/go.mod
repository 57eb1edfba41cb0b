module example

go 1.19

require google.golang.org/grpc v1.51.0

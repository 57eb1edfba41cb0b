// Print the revisions hrd's database is at, over gRPC; with -wait, first
// wait (gRPC health Watch on "homerack.v1.Schema") until the database is
// at every head.
//
// The stubs come from proto/homerack.proto (protoc-gen-go and
// protoc-gen-go-grpc into ./homerackpb):
//
//go:generate protoc -I ../../../proto --go_out=. --go_opt=Mhomerack.proto=example/homerackpb --go_opt=module=example --go-grpc_out=. --go-grpc_opt=Mhomerack.proto=example/homerackpb --go-grpc_opt=module=example homerack.proto
package main

import (
	"context"
	"flag"
	"fmt"
	"log"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"
	healthpb "google.golang.org/grpc/health/grpc_health_v1"

	"example/homerackpb"
)

func main() {
	socket := flag.String("socket", "/run/homerack/hrd.sock", "hrd's socket")
	wait := flag.Bool("wait", false, "wait until the schema is at every head")
	flag.Parse()

	conn, err := grpc.Dial("unix://"+*socket,
		grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		log.Fatalf("schema_status: %v", err)
	}
	defer conn.Close()

	if *wait {
		stream, err := healthpb.NewHealthClient(conn).Watch(context.Background(),
			&healthpb.HealthCheckRequest{Service: "homerack.v1.Schema"})
		if err != nil {
			log.Fatalf("schema_status: %v", err)
		}
		for {
			reply, err := stream.Recv()
			if err != nil {
				log.Fatalf("schema_status: %v", err)
			}
			if reply.Status == healthpb.HealthCheckResponse_SERVING {
				break
			}
		}
	}

	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	reply, err := homerackpb.NewSchemaClient(conn).Current(ctx,
		&homerackpb.CurrentRequest{})
	if err != nil {
		log.Fatalf("schema_status: %v", err)
	}
	for _, rev := range reply.Revisions {
		suffix := ""
		if rev.IsHead {
			suffix = " (head)"
		}
		fmt.Println(rev.Revision + suffix)
	}
}

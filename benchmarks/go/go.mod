module github.com/eas-client/eas-client/benchmarks/go

go 1.26

require github.com/eas-client/eas-client/clients/go v0.0.0

require google.golang.org/protobuf v1.36.12 // indirect

replace github.com/eas-client/eas-client/clients/go => ../../clients/go

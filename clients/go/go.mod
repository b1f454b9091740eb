module github.com/eas-client/eas-client/clients/go

go 1.26

require google.golang.org/protobuf v1.36.12

package eas

import "net"

type netConn = net.Conn

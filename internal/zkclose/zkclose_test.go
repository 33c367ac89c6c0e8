package zkclose

import (
	"encoding/binary"
	"reflect"
	"testing"
	"time"
)

// TestEncodeDecode: the keeper reads back exactly what the wrapper wrote,
// with and without digest credentials and TLS files, and refuses a line it cannot read.
func TestEncodeDecode(t *testing.T) {
	for _, s := range []Session{
		{Servers: []string{"zk1:2181", "zk2:2181"}, ID: 0x100001ba2ff0000, Password: []byte{0, 1, 254, 255, ' ', '\n'}, Timeout: 30 * time.Second},
		{Servers: []string{"127.0.0.1:2181"}, ID: 7, Password: []byte("p"), Timeout: 4 * time.Second, Auth: []byte("user:pass word")},
		func() Session {
			s := Session{Servers: []string{"zk1:2281"}, ID: 9, Password: []byte("q"), Timeout: time.Second}
			s.TLS.CA, s.TLS.Cert, s.TLS.Key = "/etc/zk/ca 1.pem", "/etc/zk/client,cert.pem", ""
			return s
		}(),
	} {
		got, err := Decode(s.Encode())
		if err != nil || !reflect.DeepEqual(got, s) {
			t.Errorf("Decode(Encode(%+v)) = %+v, %v", s, got, err)
		}
	}
	for _, bad := range []string{"", "1 2 3", "zz cA== 4000 - - zk:2181", "1 !!! 4000 - - zk:2181", "1 cA== 4000 - Lw== zk:2181", "1 cA== 4000 - zk:2181"} {
		if _, err := Decode(bad); err == nil {
			t.Errorf("Decode(%q) read a session", bad)
		}
	}
}

// TestParseConnectResponse reads the frame a server answers a connect
// with, with and without the readOnly flag newer servers add, and refuses
// one whose password runs past its end.
func TestParseConnectResponse(t *testing.T) {
	frame := binary.BigEndian.AppendUint32(nil, 0)     // protocolVersion
	frame = binary.BigEndian.AppendUint32(frame, 4000) // timeOut
	frame = binary.BigEndian.AppendUint64(frame, 0x1234)
	frame = binary.BigEndian.AppendUint32(frame, 3)
	frame = append(frame, 'a', 'b', 'c')
	for _, f := range [][]byte{frame, append(frame, 0)} {
		id, password, timeout, ok := ParseConnectResponse(f)
		if !ok || id != 0x1234 || string(password) != "abc" || timeout != 4000 {
			t.Errorf("parsed %x %q %d %v", id, password, timeout, ok)
		}
	}
	if _, _, _, ok := ParseConnectResponse(frame[:len(frame)-1]); ok {
		t.Error("a truncated password parsed")
	}
}

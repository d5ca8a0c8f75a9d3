package otherclient

import (
	"fmt"
	"strings"

	"offsetlab/internal/config"
)

// LibrdkafkaConnection is how librdkafka (confluent-kafka-go) reaches the
// lab's brokers: the connection's TLS and SASL settings as librdkafka's
// configuration properties. librdkafka checks a broker's certificate
// against the host it dialed; it has no setting for another name, so
// TLS_SERVER_NAME is refused. Main asks for it before Start, so that a
// refusal writes nothing.
func LibrdkafkaConnection(c config.Connection) (map[string]string, error) {
	conf := map[string]string{"bootstrap.servers": strings.Join(c.Brokers, ",")}
	protocol := "plaintext"
	if c.TLS {
		protocol = "ssl"
		if c.TLSServerName != "" {
			return nil, fmt.Errorf("TLS_SERVER_NAME=%s: librdkafka checks the certificate against the host in BROKERS and has no setting for another name", c.TLSServerName)
		}
		if c.TLSCA != "" {
			conf["ssl.ca.location"] = c.TLSCA
		}
	}
	if c.SASLMechanism != "" {
		protocol = "sasl_" + protocol
		conf["sasl.mechanisms"] = c.SASLMechanism
		conf["sasl.username"] = c.SASLUser
		conf["sasl.password"] = string(c.SASLPassword)
	}
	conf["security.protocol"] = protocol
	return conf, nil
}

// Package codec encrypts every Temporal payload with AES-256-GCM before it leaves the
// process, so the Temporal service stores citizens' data only encrypted. Each encrypted
// payload names its key in its metadata, so keys can rotate: new payloads use the newest
// key, older ones still decode. The same codec serves the Temporal Web UI through the
// codec server (`occonnect codec-server`).
package codec

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"strings"

	commonpb "go.temporal.io/api/common/v1"
	"go.temporal.io/sdk/converter"
	"go.temporal.io/sdk/temporal"
	"google.golang.org/protobuf/proto"
)

// Metadata of an encrypted payload.
const (
	MetadataEncoding = "encoding"
	EncodingAESGCM   = "binary/encrypted-aes256gcm"
	MetadataKeyID    = "encryption-key-id"
)

// Keyring holds the keys by id; Current encrypts.
type Keyring struct {
	aeads   map[string]cipher.AEAD
	current string
	// strict: Decode refuses unencrypted payloads (RefusePlaintext).
	strict bool
}

// RefusePlaintext returns the keyring whose codec refuses unencrypted payloads with
// ErrPlaintext: whoever can write to Temporal without the keys cannot hand the workers
// data they take for their own. The api and the worker use it unless
// OCC_ALLOW_PLAINTEXT_PAYLOADS=true; without it (tests, replays of histories recorded
// before encryption, the codec server, which only shows what it is given) unencrypted
// payloads pass through.
func (k *Keyring) RefusePlaintext() *Keyring {
	c := *k
	c.strict = true
	return &c
}

// ParseKeys reads "id:base64key[,id:base64key…]" (the first is the current key; every key
// is 32 bytes). An empty string gives a nil keyring (no encryption).
func ParseKeys(s string) (*Keyring, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return nil, nil
	}
	k := &Keyring{aeads: map[string]cipher.AEAD{}}
	for i, part := range strings.Split(s, ",") {
		id, b64, ok := strings.Cut(strings.TrimSpace(part), ":")
		if !ok || id == "" {
			return nil, fmt.Errorf("payload key %d: want id:base64", i+1)
		}
		raw, err := base64.StdEncoding.DecodeString(b64)
		if err != nil || len(raw) != 32 {
			return nil, fmt.Errorf("payload key %q: want 32 bytes in base64", id)
		}
		block, err := aes.NewCipher(raw)
		if err != nil {
			return nil, err
		}
		aead, err := cipher.NewGCM(block)
		if err != nil {
			return nil, err
		}
		if _, dup := k.aeads[id]; dup {
			return nil, fmt.Errorf("payload key %q given twice", id)
		}
		k.aeads[id] = aead
		if i == 0 {
			k.current = id
		}
	}
	return k, nil
}

// NewKey makes a random key in the form ParseKeys reads.
func NewKey(id string) (string, error) {
	raw := make([]byte, 32)
	if _, err := rand.Read(raw); err != nil {
		return "", err
	}
	return id + ":" + base64.StdEncoding.EncodeToString(raw), nil
}

// Codec is the payload codec.
type Codec struct{ keys *Keyring }

// New returns the codec of a keyring.
func New(k *Keyring) *Codec { return &Codec{keys: k} }

// Encode encrypts each payload with the current key.
func (c *Codec) Encode(payloads []*commonpb.Payload) ([]*commonpb.Payload, error) {
	aead := c.keys.aeads[c.keys.current]
	out := make([]*commonpb.Payload, len(payloads))
	for i, p := range payloads {
		plain, err := proto.Marshal(p)
		if err != nil {
			return nil, fmt.Errorf("encode payload: %w", err)
		}
		nonce := make([]byte, aead.NonceSize())
		if _, err := rand.Read(nonce); err != nil {
			return nil, err
		}
		out[i] = &commonpb.Payload{
			Metadata: map[string][]byte{MetadataEncoding: []byte(EncodingAESGCM), MetadataKeyID: []byte(c.keys.current)},
			Data:     aead.Seal(nonce, nonce, plain, []byte(c.keys.current)),
		}
	}
	return out, nil
}

// ErrUnknownKey: a payload names a key this process does not have.
var ErrUnknownKey = errors.New("payload encrypted with an unknown key")

// ErrPlaintext: an unencrypted payload reached a codec that requires encryption.
var ErrPlaintext = errors.New("unencrypted payload refused: payloads must be encrypted with OCC_PAYLOAD_KEYS " +
	"(OCC_ALLOW_PLAINTEXT_PAYLOADS=true reads those of histories written before the keys were configured)")

// Decode decrypts encrypted payloads. An unencrypted one passes through (histories
// written before the keys were configured), or is refused with ErrPlaintext when the
// keyring says so (RefusePlaintext).
func (c *Codec) Decode(payloads []*commonpb.Payload) ([]*commonpb.Payload, error) {
	out := make([]*commonpb.Payload, len(payloads))
	for i, p := range payloads {
		if string(p.GetMetadata()[MetadataEncoding]) != EncodingAESGCM {
			if c.keys.strict {
				return nil, fmt.Errorf("%w (encoding %q)", ErrPlaintext, p.GetMetadata()[MetadataEncoding])
			}
			out[i] = p
			continue
		}
		id := string(p.GetMetadata()[MetadataKeyID])
		aead, ok := c.keys.aeads[id]
		if !ok {
			return nil, fmt.Errorf("%w (%q)", ErrUnknownKey, id)
		}
		data := p.GetData()
		if len(data) < aead.NonceSize() {
			return nil, errors.New("encrypted payload too short")
		}
		plain, err := aead.Open(nil, data[:aead.NonceSize()], data[aead.NonceSize():], []byte(id))
		if err != nil {
			return nil, fmt.Errorf("decrypt payload: %w", err)
		}
		var decoded commonpb.Payload
		if err := proto.Unmarshal(plain, &decoded); err != nil {
			return nil, fmt.Errorf("decode payload: %w", err)
		}
		out[i] = &decoded
	}
	return out, nil
}

// Converters returns the data converter and the failure converter (failure messages and
// stack traces encoded too) for a keyring; a nil keyring gives the defaults.
func Converters(k *Keyring) (converter.DataConverter, converter.FailureConverter) {
	if k == nil {
		return converter.GetDefaultDataConverter(), temporal.GetDefaultFailureConverter()
	}
	dc := converter.NewCodecDataConverter(converter.GetDefaultDataConverter(), New(k))
	return dc, temporal.NewDefaultFailureConverter(temporal.DefaultFailureConverterOptions{DataConverter: dc, EncodeCommonAttributes: true})
}

// sealedPrefix starts a text sealed by Keyring.Seal: "occ-sealed:v1:<key id>:<base64>".
const sealedPrefix = "occ-sealed:v1:"

// sealPurpose binds a sealed text to its use (AES-GCM's additional data with the key id):
// a sealed e-mail body cannot be passed off as a payload, or the other way round.
const sealPurpose = "occonnect/outbox-body"

// Purpose is the keyring sealing texts of another use than e-mail bodies (a staff
// member's TOTP secret): a text sealed for one use does not open as another.
type Purpose struct {
	k       *Keyring
	purpose string
}

// For seals and opens the texts of one use, named like "occonnect/staff-totp".
func (k *Keyring) For(purpose string) Purpose { return Purpose{k: k, purpose: purpose} }

// Seal seals a text of the purpose (Keyring.Seal).
func (p Purpose) Seal(plain string) (string, error) { return p.k.seal(p.purpose, plain) }

// Open opens a text sealed for the purpose (Keyring.Open).
func (p Purpose) Open(s string) (string, error) { return p.k.open(p.purpose, s) }

// Seal encrypts a text to store at rest (an e-mail's body, which may carry a one-time
// password) with the current key: AES-256-GCM, a random nonce.
func (k *Keyring) Seal(plain string) (string, error) { return k.seal(sealPurpose, plain) }

func (k *Keyring) seal(purpose, plain string) (string, error) {
	aead := k.aeads[k.current]
	nonce := make([]byte, aead.NonceSize())
	if _, err := rand.Read(nonce); err != nil {
		return "", err
	}
	sealed := aead.Seal(nonce, nonce, []byte(plain), []byte(purpose+"/"+k.current))
	return sealedPrefix + k.current + ":" + base64.RawStdEncoding.EncodeToString(sealed), nil
}

// Open decrypts a text sealed by Seal, with any key of the ring. A text that is not sealed
// (stored before sealing was configured) is returned as it is, unless the keyring refuses
// plaintext (RefusePlaintext).
func (k *Keyring) Open(s string) (string, error) { return k.open(sealPurpose, s) }

func (k *Keyring) open(purpose, s string) (string, error) {
	rest, ok := strings.CutPrefix(s, sealedPrefix)
	if !ok {
		if k.strict {
			return "", ErrPlaintext
		}
		return s, nil
	}
	id, b64, ok := strings.Cut(rest, ":")
	aead, known := k.aeads[id]
	if !ok || !known {
		return "", fmt.Errorf("%w (%q)", ErrUnknownKey, id)
	}
	data, err := base64.RawStdEncoding.DecodeString(b64)
	if err != nil || len(data) < aead.NonceSize() {
		return "", errors.New("sealed text malformed")
	}
	plain, err := aead.Open(nil, data[:aead.NonceSize()], data[aead.NonceSize():], []byte(purpose+"/"+id))
	if err != nil {
		return "", fmt.Errorf("open sealed text: %w", err)
	}
	return string(plain), nil
}

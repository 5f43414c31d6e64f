// Code generated via abigen V2 - DO NOT EDIT.
// This file is a generated binding and any manual changes will be lost.

package contracts

import (
	"bytes"
	"errors"
	"math/big"

	"github.com/ethereum/go-ethereum/accounts/abi"
	"github.com/ethereum/go-ethereum/accounts/abi/bind/v2"
	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/core/types"
)

// Reference imports to suppress errors if they are not otherwise used.
var (
	_ = bytes.Equal
	_ = errors.New
	_ = big.NewInt
	_ = common.Big1
	_ = types.BloomLookup
	_ = abi.ConvertType
)

// StatusAnchorMetaData contains all meta data concerning the StatusAnchor contract.
var StatusAnchorMetaData = bind.MetaData{
	ABI: "[{\"inputs\":[{\"internalType\":\"uint256\",\"name\":\"keys\",\"type\":\"uint256\"},{\"internalType\":\"uint256\",\"name\":\"hashes\",\"type\":\"uint256\"}],\"name\":\"LengthMismatch\",\"type\":\"error\"},{\"anonymous\":false,\"inputs\":[{\"indexed\":true,\"internalType\":\"address\",\"name\":\"writer\",\"type\":\"address\"},{\"indexed\":true,\"internalType\":\"bytes32\",\"name\":\"key\",\"type\":\"bytes32\"},{\"indexed\":false,\"internalType\":\"bytes32\",\"name\":\"hash\",\"type\":\"bytes32\"},{\"indexed\":false,\"internalType\":\"uint64\",\"name\":\"time\",\"type\":\"uint64\"},{\"indexed\":false,\"internalType\":\"uint64\",\"name\":\"previousBlock\",\"type\":\"uint64\"}],\"name\":\"Anchored\",\"type\":\"event\"},{\"inputs\":[{\"internalType\":\"bytes32[]\",\"name\":\"keys\",\"type\":\"bytes32[]\"},{\"internalType\":\"bytes32[]\",\"name\":\"hashes\",\"type\":\"bytes32[]\"}],\"name\":\"anchor\",\"outputs\":[],\"stateMutability\":\"nonpayable\",\"type\":\"function\"},{\"inputs\":[{\"internalType\":\"address\",\"name\":\"writer\",\"type\":\"address\"},{\"internalType\":\"bytes32\",\"name\":\"key\",\"type\":\"bytes32\"}],\"name\":\"changed\",\"outputs\":[{\"internalType\":\"uint64\",\"name\":\"blockNumber\",\"type\":\"uint64\"}],\"stateMutability\":\"view\",\"type\":\"function\"},{\"inputs\":[{\"internalType\":\"address\",\"name\":\"writer\",\"type\":\"address\"},{\"internalType\":\"bytes32\",\"name\":\"key\",\"type\":\"bytes32\"}],\"name\":\"latest\",\"outputs\":[{\"internalType\":\"bytes32\",\"name\":\"hash\",\"type\":\"bytes32\"},{\"internalType\":\"uint64\",\"name\":\"time\",\"type\":\"uint64\"}],\"stateMutability\":\"view\",\"type\":\"function\"}]",
	ID:  "StatusAnchor",
	Bin: "0x6080604052348015600e575f5ffd5b506103898061001c5f395ff3fe608060405234801561000f575f5ffd5b506004361061003f575f3560e01c80633837db2f1461004357806368205bc3146100a8578063851a48a3146100d9575b5f5ffd5b61008a610051366004610293565b6001600160a01b03919091165f908152602081815260408083209383529290522060010154600160401b900467ffffffffffffffff1690565b60405167ffffffffffffffff90911681526020015b60405180910390f35b6100bb6100b6366004610293565b6100ee565b6040805192835267ffffffffffffffff90911660208301520161009f565b6100ec6100e7366004610309565b610128565b005b6001600160a01b0382165f908152602081815260408083208484529091529020805460019091015467ffffffffffffffff165b9250929050565b828114610156576040516355c5b3e360e11b8152600481018490526024810182905260440160405180910390fd5b42435f5b8581101561028a57335f9081526020819052604081208189898581811061018357610183610375565b9050602002013581526020019081526020015f2090508787838181106101ab576101ab610375565b90506020020135336001600160a01b03167fcdc379a4587eab8779afb78c68796d9c1e1d56f26cc2cccfeac831e71ba8bca78888868181106101ef576101ef610375565b60018701546040805160209384029590950135855267ffffffffffffffff8c811693860193909352600160401b909104909116908301525060600160405180910390a385858381811061024457610244610375565b60200291909101358255506001908101805467ffffffffffffffff858116600160401b026fffffffffffffffffffffffffffffffff19909216908716171790550161015a565b50505050505050565b5f5f604083850312156102a4575f5ffd5b82356001600160a01b03811681146102ba575f5ffd5b946020939093013593505050565b5f5f83601f8401126102d8575f5ffd5b50813567ffffffffffffffff8111156102ef575f5ffd5b6020830191508360208260051b8501011115610121575f5ffd5b5f5f5f5f6040858703121561031c575f5ffd5b843567ffffffffffffffff811115610332575f5ffd5b61033e878288016102c8565b909550935050602085013567ffffffffffffffff81111561035d575f5ffd5b610369878288016102c8565b95989497509550505050565b634e487b7160e01b5f52603260045260245ffd",
}

// StatusAnchor is an auto generated Go binding around an Ethereum contract.
type StatusAnchor struct {
	abi abi.ABI
}

// GetABI returns the ABI associated with this contract binding.
func (c *StatusAnchor) GetABI() abi.ABI {
	return c.abi
}

// NewStatusAnchor creates a new instance of StatusAnchor.
func NewStatusAnchor() *StatusAnchor {
	parsed, err := StatusAnchorMetaData.ParseABI()
	if err != nil {
		panic(errors.New("invalid ABI: " + err.Error()))
	}
	return &StatusAnchor{abi: *parsed}
}

// Instance creates a wrapper for a deployed contract instance at the given address.
// Use this to create the instance object passed to abigen v2 library functions Call, Transact, etc.
func (c *StatusAnchor) Instance(backend bind.ContractBackend, addr common.Address) *bind.BoundContract {
	return bind.NewBoundContract(addr, c.abi, backend, backend, backend)
}

// PackAnchor is the Go binding used to pack the parameters required for calling
// the contract method with ID 0x851a48a3.  This method will panic if any
// invalid/nil inputs are passed.
//
// Solidity: function anchor(bytes32[] keys, bytes32[] hashes) returns()
func (statusAnchor *StatusAnchor) PackAnchor(keys [][32]byte, hashes [][32]byte) []byte {
	enc, err := statusAnchor.abi.Pack("anchor", keys, hashes)
	if err != nil {
		panic(err)
	}
	return enc
}

// TryPackAnchor is the Go binding used to pack the parameters required for calling
// the contract method with ID 0x851a48a3.  This method will return an error
// if any inputs are invalid/nil.
//
// Solidity: function anchor(bytes32[] keys, bytes32[] hashes) returns()
func (statusAnchor *StatusAnchor) TryPackAnchor(keys [][32]byte, hashes [][32]byte) ([]byte, error) {
	return statusAnchor.abi.Pack("anchor", keys, hashes)
}

// PackChanged is the Go binding used to pack the parameters required for calling
// the contract method with ID 0x3837db2f.  This method will panic if any
// invalid/nil inputs are passed.
//
// Solidity: function changed(address writer, bytes32 key) view returns(uint64 blockNumber)
func (statusAnchor *StatusAnchor) PackChanged(writer common.Address, key [32]byte) []byte {
	enc, err := statusAnchor.abi.Pack("changed", writer, key)
	if err != nil {
		panic(err)
	}
	return enc
}

// TryPackChanged is the Go binding used to pack the parameters required for calling
// the contract method with ID 0x3837db2f.  This method will return an error
// if any inputs are invalid/nil.
//
// Solidity: function changed(address writer, bytes32 key) view returns(uint64 blockNumber)
func (statusAnchor *StatusAnchor) TryPackChanged(writer common.Address, key [32]byte) ([]byte, error) {
	return statusAnchor.abi.Pack("changed", writer, key)
}

// UnpackChanged is the Go binding that unpacks the parameters returned
// from invoking the contract method with ID 0x3837db2f.
//
// Solidity: function changed(address writer, bytes32 key) view returns(uint64 blockNumber)
func (statusAnchor *StatusAnchor) UnpackChanged(data []byte) (uint64, error) {
	out, err := statusAnchor.abi.Unpack("changed", data)
	if err != nil {
		return *new(uint64), err
	}
	out0 := *abi.ConvertType(out[0], new(uint64)).(*uint64)
	return out0, nil
}

// PackLatest is the Go binding used to pack the parameters required for calling
// the contract method with ID 0x68205bc3.  This method will panic if any
// invalid/nil inputs are passed.
//
// Solidity: function latest(address writer, bytes32 key) view returns(bytes32 hash, uint64 time)
func (statusAnchor *StatusAnchor) PackLatest(writer common.Address, key [32]byte) []byte {
	enc, err := statusAnchor.abi.Pack("latest", writer, key)
	if err != nil {
		panic(err)
	}
	return enc
}

// TryPackLatest is the Go binding used to pack the parameters required for calling
// the contract method with ID 0x68205bc3.  This method will return an error
// if any inputs are invalid/nil.
//
// Solidity: function latest(address writer, bytes32 key) view returns(bytes32 hash, uint64 time)
func (statusAnchor *StatusAnchor) TryPackLatest(writer common.Address, key [32]byte) ([]byte, error) {
	return statusAnchor.abi.Pack("latest", writer, key)
}

// LatestOutput serves as a container for the return parameters of contract
// method Latest.
type LatestOutput struct {
	Hash [32]byte
	Time uint64
}

// UnpackLatest is the Go binding that unpacks the parameters returned
// from invoking the contract method with ID 0x68205bc3.
//
// Solidity: function latest(address writer, bytes32 key) view returns(bytes32 hash, uint64 time)
func (statusAnchor *StatusAnchor) UnpackLatest(data []byte) (LatestOutput, error) {
	out, err := statusAnchor.abi.Unpack("latest", data)
	outstruct := new(LatestOutput)
	if err != nil {
		return *outstruct, err
	}
	outstruct.Hash = *abi.ConvertType(out[0], new([32]byte)).(*[32]byte)
	outstruct.Time = *abi.ConvertType(out[1], new(uint64)).(*uint64)
	return *outstruct, nil
}

// StatusAnchorAnchored represents a Anchored event raised by the StatusAnchor contract.
type StatusAnchorAnchored struct {
	Writer        common.Address
	Key           [32]byte
	Hash          [32]byte
	Time          uint64
	PreviousBlock uint64
	Raw           *types.Log // Blockchain specific contextual infos
}

const StatusAnchorAnchoredEventName = "Anchored"

// ContractEventName returns the user-defined event name.
func (StatusAnchorAnchored) ContractEventName() string {
	return StatusAnchorAnchoredEventName
}

// UnpackAnchoredEvent is the Go binding that unpacks the event data emitted
// by contract.
//
// Solidity: event Anchored(address indexed writer, bytes32 indexed key, bytes32 hash, uint64 time, uint64 previousBlock)
func (statusAnchor *StatusAnchor) UnpackAnchoredEvent(log *types.Log) (*StatusAnchorAnchored, error) {
	event := "Anchored"
	if len(log.Topics) == 0 {
		return nil, bind.ErrNoEventSignature
	}
	if log.Topics[0] != statusAnchor.abi.Events[event].ID {
		return nil, bind.ErrEventSignatureMismatch
	}
	out := new(StatusAnchorAnchored)
	if len(log.Data) > 0 {
		if err := statusAnchor.abi.UnpackIntoInterface(out, event, log.Data); err != nil {
			return nil, err
		}
	}
	var indexed abi.Arguments
	for _, arg := range statusAnchor.abi.Events[event].Inputs {
		if arg.Indexed {
			indexed = append(indexed, arg)
		}
	}
	if err := abi.ParseTopics(out, indexed, log.Topics[1:]); err != nil {
		return nil, err
	}
	out.Raw = log
	return out, nil
}

// UnpackError attempts to decode the provided error data using user-defined
// error definitions.
func (statusAnchor *StatusAnchor) UnpackError(raw []byte) (any, error) {
	if bytes.Equal(raw[:4], statusAnchor.abi.Errors["LengthMismatch"].ID.Bytes()[:4]) {
		return statusAnchor.UnpackLengthMismatchError(raw[4:])
	}
	return nil, errors.New("Unknown error")
}

// StatusAnchorLengthMismatch represents a LengthMismatch error raised by the StatusAnchor contract.
type StatusAnchorLengthMismatch struct {
	Keys   *big.Int
	Hashes *big.Int
}

// ErrorID returns the hash of canonical representation of the error's signature.
//
// Solidity: error LengthMismatch(uint256 keys, uint256 hashes)
func StatusAnchorLengthMismatchErrorID() common.Hash {
	return common.HexToHash("0xab8b67c6893c59617ef3ba4b4b942e9791f2572db2fdb32028356532f3b7396a")
}

// UnpackLengthMismatchError is the Go binding used to decode the provided
// error data into the corresponding Go error struct.
//
// Solidity: error LengthMismatch(uint256 keys, uint256 hashes)
func (statusAnchor *StatusAnchor) UnpackLengthMismatchError(raw []byte) (*StatusAnchorLengthMismatch, error) {
	out := new(StatusAnchorLengthMismatch)
	if err := statusAnchor.abi.UnpackIntoInterface(out, "LengthMismatch", raw); err != nil {
		return nil, err
	}
	return out, nil
}

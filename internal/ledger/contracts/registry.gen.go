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

// EthereumDIDRegistryMetaData contains all meta data concerning the EthereumDIDRegistry contract.
var EthereumDIDRegistryMetaData = bind.MetaData{
	ABI: "[{\"inputs\":[{\"internalType\":\"address\",\"name\":\"identity\",\"type\":\"address\"}],\"name\":\"BadSignature\",\"type\":\"error\"},{\"inputs\":[{\"internalType\":\"address\",\"name\":\"identity\",\"type\":\"address\"},{\"internalType\":\"address\",\"name\":\"actor\",\"type\":\"address\"}],\"name\":\"NotOwner\",\"type\":\"error\"},{\"anonymous\":false,\"inputs\":[{\"indexed\":true,\"internalType\":\"address\",\"name\":\"identity\",\"type\":\"address\"},{\"indexed\":false,\"internalType\":\"bytes32\",\"name\":\"name\",\"type\":\"bytes32\"},{\"indexed\":false,\"internalType\":\"bytes\",\"name\":\"value\",\"type\":\"bytes\"},{\"indexed\":false,\"internalType\":\"uint256\",\"name\":\"validTo\",\"type\":\"uint256\"},{\"indexed\":false,\"internalType\":\"uint256\",\"name\":\"previousChange\",\"type\":\"uint256\"}],\"name\":\"DIDAttributeChanged\",\"type\":\"event\"},{\"anonymous\":false,\"inputs\":[{\"indexed\":true,\"internalType\":\"address\",\"name\":\"identity\",\"type\":\"address\"},{\"indexed\":false,\"internalType\":\"bytes32\",\"name\":\"delegateType\",\"type\":\"bytes32\"},{\"indexed\":false,\"internalType\":\"address\",\"name\":\"delegate\",\"type\":\"address\"},{\"indexed\":false,\"internalType\":\"uint256\",\"name\":\"validTo\",\"type\":\"uint256\"},{\"indexed\":false,\"internalType\":\"uint256\",\"name\":\"previousChange\",\"type\":\"uint256\"}],\"name\":\"DIDDelegateChanged\",\"type\":\"event\"},{\"anonymous\":false,\"inputs\":[{\"indexed\":true,\"internalType\":\"address\",\"name\":\"identity\",\"type\":\"address\"},{\"indexed\":false,\"internalType\":\"address\",\"name\":\"owner\",\"type\":\"address\"},{\"indexed\":false,\"internalType\":\"uint256\",\"name\":\"previousChange\",\"type\":\"uint256\"}],\"name\":\"DIDOwnerChanged\",\"type\":\"event\"},{\"inputs\":[{\"internalType\":\"address\",\"name\":\"identity\",\"type\":\"address\"},{\"internalType\":\"bytes32\",\"name\":\"delegateType\",\"type\":\"bytes32\"},{\"internalType\":\"address\",\"name\":\"delegate\",\"type\":\"address\"},{\"internalType\":\"uint256\",\"name\":\"validity\",\"type\":\"uint256\"}],\"name\":\"addDelegate\",\"outputs\":[],\"stateMutability\":\"nonpayable\",\"type\":\"function\"},{\"inputs\":[{\"internalType\":\"address\",\"name\":\"identity\",\"type\":\"address\"},{\"internalType\":\"uint8\",\"name\":\"sigV\",\"type\":\"uint8\"},{\"internalType\":\"bytes32\",\"name\":\"sigR\",\"type\":\"bytes32\"},{\"internalType\":\"bytes32\",\"name\":\"sigS\",\"type\":\"bytes32\"},{\"internalType\":\"bytes32\",\"name\":\"delegateType\",\"type\":\"bytes32\"},{\"internalType\":\"address\",\"name\":\"delegate\",\"type\":\"address\"},{\"internalType\":\"uint256\",\"name\":\"validity\",\"type\":\"uint256\"}],\"name\":\"addDelegateSigned\",\"outputs\":[],\"stateMutability\":\"nonpayable\",\"type\":\"function\"},{\"inputs\":[{\"internalType\":\"address\",\"name\":\"identity\",\"type\":\"address\"},{\"internalType\":\"address\",\"name\":\"newOwner\",\"type\":\"address\"}],\"name\":\"changeOwner\",\"outputs\":[],\"stateMutability\":\"nonpayable\",\"type\":\"function\"},{\"inputs\":[{\"internalType\":\"address\",\"name\":\"identity\",\"type\":\"address\"},{\"internalType\":\"uint8\",\"name\":\"sigV\",\"type\":\"uint8\"},{\"internalType\":\"bytes32\",\"name\":\"sigR\",\"type\":\"bytes32\"},{\"internalType\":\"bytes32\",\"name\":\"sigS\",\"type\":\"bytes32\"},{\"internalType\":\"address\",\"name\":\"newOwner\",\"type\":\"address\"}],\"name\":\"changeOwnerSigned\",\"outputs\":[],\"stateMutability\":\"nonpayable\",\"type\":\"function\"},{\"inputs\":[{\"internalType\":\"address\",\"name\":\"\",\"type\":\"address\"}],\"name\":\"changed\",\"outputs\":[{\"internalType\":\"uint256\",\"name\":\"\",\"type\":\"uint256\"}],\"stateMutability\":\"view\",\"type\":\"function\"},{\"inputs\":[{\"internalType\":\"address\",\"name\":\"\",\"type\":\"address\"},{\"internalType\":\"bytes32\",\"name\":\"\",\"type\":\"bytes32\"},{\"internalType\":\"address\",\"name\":\"\",\"type\":\"address\"}],\"name\":\"delegates\",\"outputs\":[{\"internalType\":\"uint256\",\"name\":\"\",\"type\":\"uint256\"}],\"stateMutability\":\"view\",\"type\":\"function\"},{\"inputs\":[{\"internalType\":\"address\",\"name\":\"identity\",\"type\":\"address\"}],\"name\":\"identityOwner\",\"outputs\":[{\"internalType\":\"address\",\"name\":\"\",\"type\":\"address\"}],\"stateMutability\":\"view\",\"type\":\"function\"},{\"inputs\":[{\"internalType\":\"address\",\"name\":\"\",\"type\":\"address\"}],\"name\":\"nonce\",\"outputs\":[{\"internalType\":\"uint256\",\"name\":\"\",\"type\":\"uint256\"}],\"stateMutability\":\"view\",\"type\":\"function\"},{\"inputs\":[{\"internalType\":\"address\",\"name\":\"\",\"type\":\"address\"}],\"name\":\"owners\",\"outputs\":[{\"internalType\":\"address\",\"name\":\"\",\"type\":\"address\"}],\"stateMutability\":\"view\",\"type\":\"function\"},{\"inputs\":[{\"internalType\":\"address\",\"name\":\"identity\",\"type\":\"address\"},{\"internalType\":\"bytes32\",\"name\":\"name\",\"type\":\"bytes32\"},{\"internalType\":\"bytes\",\"name\":\"value\",\"type\":\"bytes\"}],\"name\":\"revokeAttribute\",\"outputs\":[],\"stateMutability\":\"nonpayable\",\"type\":\"function\"},{\"inputs\":[{\"internalType\":\"address\",\"name\":\"identity\",\"type\":\"address\"},{\"internalType\":\"uint8\",\"name\":\"sigV\",\"type\":\"uint8\"},{\"internalType\":\"bytes32\",\"name\":\"sigR\",\"type\":\"bytes32\"},{\"internalType\":\"bytes32\",\"name\":\"sigS\",\"type\":\"bytes32\"},{\"internalType\":\"bytes32\",\"name\":\"name\",\"type\":\"bytes32\"},{\"internalType\":\"bytes\",\"name\":\"value\",\"type\":\"bytes\"}],\"name\":\"revokeAttributeSigned\",\"outputs\":[],\"stateMutability\":\"nonpayable\",\"type\":\"function\"},{\"inputs\":[{\"internalType\":\"address\",\"name\":\"identity\",\"type\":\"address\"},{\"internalType\":\"bytes32\",\"name\":\"delegateType\",\"type\":\"bytes32\"},{\"internalType\":\"address\",\"name\":\"delegate\",\"type\":\"address\"}],\"name\":\"revokeDelegate\",\"outputs\":[],\"stateMutability\":\"nonpayable\",\"type\":\"function\"},{\"inputs\":[{\"internalType\":\"address\",\"name\":\"identity\",\"type\":\"address\"},{\"internalType\":\"uint8\",\"name\":\"sigV\",\"type\":\"uint8\"},{\"internalType\":\"bytes32\",\"name\":\"sigR\",\"type\":\"bytes32\"},{\"internalType\":\"bytes32\",\"name\":\"sigS\",\"type\":\"bytes32\"},{\"internalType\":\"bytes32\",\"name\":\"delegateType\",\"type\":\"bytes32\"},{\"internalType\":\"address\",\"name\":\"delegate\",\"type\":\"address\"}],\"name\":\"revokeDelegateSigned\",\"outputs\":[],\"stateMutability\":\"nonpayable\",\"type\":\"function\"},{\"inputs\":[{\"internalType\":\"address\",\"name\":\"identity\",\"type\":\"address\"},{\"internalType\":\"bytes32\",\"name\":\"name\",\"type\":\"bytes32\"},{\"internalType\":\"bytes\",\"name\":\"value\",\"type\":\"bytes\"},{\"internalType\":\"uint256\",\"name\":\"validity\",\"type\":\"uint256\"}],\"name\":\"setAttribute\",\"outputs\":[],\"stateMutability\":\"nonpayable\",\"type\":\"function\"},{\"inputs\":[{\"internalType\":\"address\",\"name\":\"identity\",\"type\":\"address\"},{\"internalType\":\"uint8\",\"name\":\"sigV\",\"type\":\"uint8\"},{\"internalType\":\"bytes32\",\"name\":\"sigR\",\"type\":\"bytes32\"},{\"internalType\":\"bytes32\",\"name\":\"sigS\",\"type\":\"bytes32\"},{\"internalType\":\"bytes32\",\"name\":\"name\",\"type\":\"bytes32\"},{\"internalType\":\"bytes\",\"name\":\"value\",\"type\":\"bytes\"},{\"internalType\":\"uint256\",\"name\":\"validity\",\"type\":\"uint256\"}],\"name\":\"setAttributeSigned\",\"outputs\":[],\"stateMutability\":\"nonpayable\",\"type\":\"function\"},{\"inputs\":[{\"internalType\":\"address\",\"name\":\"identity\",\"type\":\"address\"},{\"internalType\":\"bytes32\",\"name\":\"delegateType\",\"type\":\"bytes32\"},{\"internalType\":\"address\",\"name\":\"delegate\",\"type\":\"address\"}],\"name\":\"validDelegate\",\"outputs\":[{\"internalType\":\"bool\",\"name\":\"\",\"type\":\"bool\"}],\"stateMutability\":\"view\",\"type\":\"function\"}]",
	ID:  "EthereumDIDRegistry",
	Bin: "0x6080604052348015600e575f5ffd5b506111fd8061001c5f395ff3fe608060405234801561000f575f5ffd5b50600436106100fa575f3560e01c806380b29f7c11610093578063a7068d6611610063578063a7068d66146102ab578063e476af5c146102be578063f00d4b5d146102d1578063f96d0f9f146102e4575f5ffd5b806380b29f7c1461025f5780638733d4e81461027257806393072684146102855780639c2c1b2b14610298575f5ffd5b8063240cf1fa116100ce578063240cf1fa146101a9578063622b2a3c146101bc57806370ae92d21461022d5780637ad4b0a41461024c575f5ffd5b8062c023da146100fe578063022914a7146101135780630d44625b14610158578063123b5e9814610196575b5f5ffd5b61011161010c366004610ccc565b610303565b005b61013b610121366004610d22565b5f602081905290815260409020546001600160a01b031681565b6040516001600160a01b0390911681526020015b60405180910390f35b610188610166366004610d42565b600160209081525f938452604080852082529284528284209052825290205481565b60405190815260200161014f565b6101116101a4366004610d8b565b610316565b6101116101b7366004610e0e565b6103a4565b61021d6101ca366004610d42565b6001600160a01b039283165f908152600160209081526040808320815180840196909652815180870384018152958201825285519583019590952083529381528382209290941681529252902054421090565b604051901515815260200161014f565b61018861023b366004610d22565b60036020525f908152604090205481565b61011161025a366004610e61565b61046d565b61011161026d366004610d42565b610482565b61013b610280366004610d22565b610493565b610111610293366004610ebe565b6104e7565b6101116102a6366004610f19565b6105bc565b6101116102b9366004610f81565b61069b565b6101116102cc366004610fc2565b6106a8565b6101116102df36600461103e565b610728565b6101886102f2366004610d22565b60026020525f908152604090205481565b6103108433858585610737565b50505050565b5f601960f81b813060038261032a8e610493565b6001600160a01b03166001600160a01b031681526020019081526020015f20548c898989896040516020016103679998979695949392919061106f565b604051602081830303815290604052805190602001209050610399896103908b8b8b8b876107b6565b878787876108f2565b505050505050505050565b5f601960f81b81306003826103b88b610493565b6001600160a01b0316815260208082019290925260409081015f205481516001600160f81b0319968716818501529490951660218501526001600160601b0319606093841b8116602286015260368501959095528a831b851660568501526a31b430b733b2a7bbb732b960a91b606a8501529186901b90931660758301528051606981840301815260899092019052805191012090506104658661045f81888888876107b6565b84610987565b505050505050565b61047b8533868686866108f2565b5050505050565b61048e83338484610a56565b505050565b6001600160a01b0381165f9081526004602052604081205460ff16156104ba57505f919050565b6001600160a01b038083165f908152602081905260409020541680156104e05792915050565b5090919050565b5f601960f81b81306003826104fb8c610493565b6001600160a01b0316815260208082019290925260409081015f205481516001600160f81b0319968716818501529490951660218501526001600160601b0319606093841b8116602286015260368501959095528b831b851660568501526d7265766f6b6544656c656761746560901b606a850152607884018890529186901b90931660988301528051608c81840301815260ac9092019052805191012090506105b3876105ac81898989876107b6565b8585610a56565b50505050505050565b5f601960f81b81306003826105d08d610493565b6001600160a01b0316815260208082019290925260409081015f205490516001600160f81b031995861692810192909252929093166021840152606090811b6001600160601b0319908116602285015260368401929092528a811b821660568401526a61646444656c656761746560a81b606a8401526075830187905285901b16609582015260a9810183905260c901604051602081830303815290604052805190602001209050610691886106898a8a8a8a876107b6565b868686610b2a565b5050505050505050565b6103108433858585610b2a565b5f601960f81b81306003826106bc8d610493565b6001600160a01b03166001600160a01b031681526020019081526020015f20548b8888886040516020016106f79897969594939291906110e2565b604051602081830303815290604052805190602001209050610691886107208a8a8a8a876107b6565b868686610737565b610733823383610987565b5050565b6107418585610be0565b6001600160a01b0385165f818152600260205260408082205490517f18ab6b2ae3d64306c00ce663125f2bd680e441a098de1635bd7ad8b0d44965e49261078f92889288928892909161117e565b60405180910390a2505050506001600160a01b03165f908152600260205260409020439055565b5f7f7fffffffffffffffffffffffffffffff5d576e7357a4501ddfe92f46681b20a083111561080857604051639a7d38d960e01b81526001600160a01b03871660048201526024015b60405180910390fd5b604080515f8082526020820180845285905260ff881692820192909252606081018690526080810185905260019060a0016020604051602081039080840390855afa158015610859573d5f5f3e3d5ffd5b5050604051601f1901519150506001600160a01b0381161580610896575061088087610493565b6001600160a01b0316816001600160a01b031614155b156108bf57604051639a7d38d960e01b81526001600160a01b03881660048201526024016107ff565b6001600160a01b0381165f9081526003602052604081208054916108e2836111bf565b9091555090979650505050505050565b6108fc8686610be0565b856001600160a01b03167f18ab6b2ae3d64306c00ce663125f2bd680e441a098de1635bd7ad8b0d44965e485858561093386610c41565b6001600160a01b038c165f908152600260205260409081902054905161095d95949392919061117e565b60405180910390a25050506001600160a01b039092165f9081526002602052604090204390555050565b6109918383610be0565b6001600160a01b038381165f90815260208190526040902080546001600160a01b03191691831691821790556109e4576001600160a01b0383165f908152600460205260409020805460ff191660011790555b6001600160a01b038381165f8181526002602090815260409182902054825194861685529084015290917f38a5a6e68f30ed1ab45860a4afb34bcb2fc00f22ca462d249b8a8d40cda6f7a3910160405180910390a250506001600160a01b03165f908152600260205260409020439055565b610a608484610be0565b6001600160a01b038481165f81815260016020908152604080832081518084018990528251808203850181528184018085528151918601919091208652918452828520968816808652968452828520429081905586865260029094529382902054908890526060840195909552608083019190915260a0820193909352915190917f5a5084339536bcab65f20799fcc58724588145ca054bd2be626174b27ba156f7919081900360c00190a25050506001600160a01b03165f908152600260205260409020439055565b610b348585610be0565b5f610b3e82610c41565b6001600160a01b038781165f81815260016020908152604080832081518084018c90528251808203850181528184018085528151918601919091208652918452828520968b1680865296845282852088905585855260029093529220549189905260608101939093526080830184905260a08301529192507f5a5084339536bcab65f20799fcc58724588145ca054bd2be626174b27ba156f79060c00161095d565b6001600160a01b0381161580610c105750610bfa82610493565b6001600160a01b0316816001600160a01b031614155b1561073357604051631194af8760e11b81526001600160a01b038084166004830152821660248201526044016107ff565b5f610c4d425f196111d7565b821115610c5c57505f19919050565b610c6682426111ea565b92915050565b80356001600160a01b0381168114610c82575f5ffd5b919050565b5f5f83601f840112610c97575f5ffd5b50813567ffffffffffffffff811115610cae575f5ffd5b602083019150836020828501011115610cc5575f5ffd5b9250929050565b5f5f5f5f60608587031215610cdf575f5ffd5b610ce885610c6c565b935060208501359250604085013567ffffffffffffffff811115610d0a575f5ffd5b610d1687828801610c87565b95989497509550505050565b5f60208284031215610d32575f5ffd5b610d3b82610c6c565b9392505050565b5f5f5f60608486031215610d54575f5ffd5b610d5d84610c6c565b925060208401359150610d7260408501610c6c565b90509250925092565b803560ff81168114610c82575f5ffd5b5f5f5f5f5f5f5f5f60e0898b031215610da2575f5ffd5b610dab89610c6c565b9750610db960208a01610d7b565b965060408901359550606089013594506080890135935060a089013567ffffffffffffffff811115610de9575f5ffd5b610df58b828c01610c87565b999c989b50969995989497949560c00135949350505050565b5f5f5f5f5f60a08688031215610e22575f5ffd5b610e2b86610c6c565b9450610e3960208701610d7b565b93506040860135925060608601359150610e5560808701610c6c565b90509295509295909350565b5f5f5f5f5f60808688031215610e75575f5ffd5b610e7e86610c6c565b945060208601359350604086013567ffffffffffffffff811115610ea0575f5ffd5b610eac88828901610c87565b96999598509660600135949350505050565b5f5f5f5f5f5f60c08789031215610ed3575f5ffd5b610edc87610c6c565b9550610eea60208801610d7b565b9450604087013593506060870135925060808701359150610f0d60a08801610c6c565b90509295509295509295565b5f5f5f5f5f5f5f60e0888a031215610f2f575f5ffd5b610f3888610c6c565b9650610f4660208901610d7b565b9550604088013594506060880135935060808801359250610f6960a08901610c6c565b96999598509396929591949193505060c09091013590565b5f5f5f5f60808587031215610f94575f5ffd5b610f9d85610c6c565b935060208501359250610fb260408601610c6c565b9396929550929360600135925050565b5f5f5f5f5f5f5f60c0888a031215610fd8575f5ffd5b610fe188610c6c565b9650610fef60208901610d7b565b955060408801359450606088013593506080880135925060a088013567ffffffffffffffff81111561101f575f5ffd5b61102b8a828b01610c87565b989b979a50959850939692959293505050565b5f5f6040838503121561104f575f5ffd5b61105883610c6c565b915061106660208401610c6c565b90509250929050565b6001600160f81b03198a81168252891660018201526001600160601b0319606089811b821660028401526016830189905287901b1660368201526b73657441747472696275746560a01b604a82015260568101859052828460768301376076920191820152609601979650505050505050565b6001600160f81b03198981168252881660018201526001600160601b0319606088811b821660028401526016830188905286901b1660368201526e7265766f6b6541747472696275746560881b604a82015260598101849052818360798301375f9101607901908152979650505050505050565b81835281816020850137505f828201602090810191909152601f909101601f19169091010190565b858152608060208201525f611197608083018688611156565b604083019490945250606001529392505050565b634e487b7160e01b5f52601160045260245ffd5b5f600182016111d0576111d06111ab565b5060010190565b81810381811115610c6657610c666111ab565b80820180821115610c6657610c666111ab56",
}

// EthereumDIDRegistry is an auto generated Go binding around an Ethereum contract.
type EthereumDIDRegistry struct {
	abi abi.ABI
}

// GetABI returns the ABI associated with this contract binding.
func (c *EthereumDIDRegistry) GetABI() abi.ABI {
	return c.abi
}

// NewEthereumDIDRegistry creates a new instance of EthereumDIDRegistry.
func NewEthereumDIDRegistry() *EthereumDIDRegistry {
	parsed, err := EthereumDIDRegistryMetaData.ParseABI()
	if err != nil {
		panic(errors.New("invalid ABI: " + err.Error()))
	}
	return &EthereumDIDRegistry{abi: *parsed}
}

// Instance creates a wrapper for a deployed contract instance at the given address.
// Use this to create the instance object passed to abigen v2 library functions Call, Transact, etc.
func (c *EthereumDIDRegistry) Instance(backend bind.ContractBackend, addr common.Address) *bind.BoundContract {
	return bind.NewBoundContract(addr, c.abi, backend, backend, backend)
}

// PackAddDelegate is the Go binding used to pack the parameters required for calling
// the contract method with ID 0xa7068d66.  This method will panic if any
// invalid/nil inputs are passed.
//
// Solidity: function addDelegate(address identity, bytes32 delegateType, address delegate, uint256 validity) returns()
func (ethereumDIDRegistry *EthereumDIDRegistry) PackAddDelegate(identity common.Address, delegateType [32]byte, delegate common.Address, validity *big.Int) []byte {
	enc, err := ethereumDIDRegistry.abi.Pack("addDelegate", identity, delegateType, delegate, validity)
	if err != nil {
		panic(err)
	}
	return enc
}

// TryPackAddDelegate is the Go binding used to pack the parameters required for calling
// the contract method with ID 0xa7068d66.  This method will return an error
// if any inputs are invalid/nil.
//
// Solidity: function addDelegate(address identity, bytes32 delegateType, address delegate, uint256 validity) returns()
func (ethereumDIDRegistry *EthereumDIDRegistry) TryPackAddDelegate(identity common.Address, delegateType [32]byte, delegate common.Address, validity *big.Int) ([]byte, error) {
	return ethereumDIDRegistry.abi.Pack("addDelegate", identity, delegateType, delegate, validity)
}

// PackAddDelegateSigned is the Go binding used to pack the parameters required for calling
// the contract method with ID 0x9c2c1b2b.  This method will panic if any
// invalid/nil inputs are passed.
//
// Solidity: function addDelegateSigned(address identity, uint8 sigV, bytes32 sigR, bytes32 sigS, bytes32 delegateType, address delegate, uint256 validity) returns()
func (ethereumDIDRegistry *EthereumDIDRegistry) PackAddDelegateSigned(identity common.Address, sigV uint8, sigR [32]byte, sigS [32]byte, delegateType [32]byte, delegate common.Address, validity *big.Int) []byte {
	enc, err := ethereumDIDRegistry.abi.Pack("addDelegateSigned", identity, sigV, sigR, sigS, delegateType, delegate, validity)
	if err != nil {
		panic(err)
	}
	return enc
}

// TryPackAddDelegateSigned is the Go binding used to pack the parameters required for calling
// the contract method with ID 0x9c2c1b2b.  This method will return an error
// if any inputs are invalid/nil.
//
// Solidity: function addDelegateSigned(address identity, uint8 sigV, bytes32 sigR, bytes32 sigS, bytes32 delegateType, address delegate, uint256 validity) returns()
func (ethereumDIDRegistry *EthereumDIDRegistry) TryPackAddDelegateSigned(identity common.Address, sigV uint8, sigR [32]byte, sigS [32]byte, delegateType [32]byte, delegate common.Address, validity *big.Int) ([]byte, error) {
	return ethereumDIDRegistry.abi.Pack("addDelegateSigned", identity, sigV, sigR, sigS, delegateType, delegate, validity)
}

// PackChangeOwner is the Go binding used to pack the parameters required for calling
// the contract method with ID 0xf00d4b5d.  This method will panic if any
// invalid/nil inputs are passed.
//
// Solidity: function changeOwner(address identity, address newOwner) returns()
func (ethereumDIDRegistry *EthereumDIDRegistry) PackChangeOwner(identity common.Address, newOwner common.Address) []byte {
	enc, err := ethereumDIDRegistry.abi.Pack("changeOwner", identity, newOwner)
	if err != nil {
		panic(err)
	}
	return enc
}

// TryPackChangeOwner is the Go binding used to pack the parameters required for calling
// the contract method with ID 0xf00d4b5d.  This method will return an error
// if any inputs are invalid/nil.
//
// Solidity: function changeOwner(address identity, address newOwner) returns()
func (ethereumDIDRegistry *EthereumDIDRegistry) TryPackChangeOwner(identity common.Address, newOwner common.Address) ([]byte, error) {
	return ethereumDIDRegistry.abi.Pack("changeOwner", identity, newOwner)
}

// PackChangeOwnerSigned is the Go binding used to pack the parameters required for calling
// the contract method with ID 0x240cf1fa.  This method will panic if any
// invalid/nil inputs are passed.
//
// Solidity: function changeOwnerSigned(address identity, uint8 sigV, bytes32 sigR, bytes32 sigS, address newOwner) returns()
func (ethereumDIDRegistry *EthereumDIDRegistry) PackChangeOwnerSigned(identity common.Address, sigV uint8, sigR [32]byte, sigS [32]byte, newOwner common.Address) []byte {
	enc, err := ethereumDIDRegistry.abi.Pack("changeOwnerSigned", identity, sigV, sigR, sigS, newOwner)
	if err != nil {
		panic(err)
	}
	return enc
}

// TryPackChangeOwnerSigned is the Go binding used to pack the parameters required for calling
// the contract method with ID 0x240cf1fa.  This method will return an error
// if any inputs are invalid/nil.
//
// Solidity: function changeOwnerSigned(address identity, uint8 sigV, bytes32 sigR, bytes32 sigS, address newOwner) returns()
func (ethereumDIDRegistry *EthereumDIDRegistry) TryPackChangeOwnerSigned(identity common.Address, sigV uint8, sigR [32]byte, sigS [32]byte, newOwner common.Address) ([]byte, error) {
	return ethereumDIDRegistry.abi.Pack("changeOwnerSigned", identity, sigV, sigR, sigS, newOwner)
}

// PackChanged is the Go binding used to pack the parameters required for calling
// the contract method with ID 0xf96d0f9f.  This method will panic if any
// invalid/nil inputs are passed.
//
// Solidity: function changed(address ) view returns(uint256)
func (ethereumDIDRegistry *EthereumDIDRegistry) PackChanged(arg0 common.Address) []byte {
	enc, err := ethereumDIDRegistry.abi.Pack("changed", arg0)
	if err != nil {
		panic(err)
	}
	return enc
}

// TryPackChanged is the Go binding used to pack the parameters required for calling
// the contract method with ID 0xf96d0f9f.  This method will return an error
// if any inputs are invalid/nil.
//
// Solidity: function changed(address ) view returns(uint256)
func (ethereumDIDRegistry *EthereumDIDRegistry) TryPackChanged(arg0 common.Address) ([]byte, error) {
	return ethereumDIDRegistry.abi.Pack("changed", arg0)
}

// UnpackChanged is the Go binding that unpacks the parameters returned
// from invoking the contract method with ID 0xf96d0f9f.
//
// Solidity: function changed(address ) view returns(uint256)
func (ethereumDIDRegistry *EthereumDIDRegistry) UnpackChanged(data []byte) (*big.Int, error) {
	out, err := ethereumDIDRegistry.abi.Unpack("changed", data)
	if err != nil {
		return new(big.Int), err
	}
	out0 := abi.ConvertType(out[0], new(big.Int)).(*big.Int)
	return out0, nil
}

// PackDelegates is the Go binding used to pack the parameters required for calling
// the contract method with ID 0x0d44625b.  This method will panic if any
// invalid/nil inputs are passed.
//
// Solidity: function delegates(address , bytes32 , address ) view returns(uint256)
func (ethereumDIDRegistry *EthereumDIDRegistry) PackDelegates(arg0 common.Address, arg1 [32]byte, arg2 common.Address) []byte {
	enc, err := ethereumDIDRegistry.abi.Pack("delegates", arg0, arg1, arg2)
	if err != nil {
		panic(err)
	}
	return enc
}

// TryPackDelegates is the Go binding used to pack the parameters required for calling
// the contract method with ID 0x0d44625b.  This method will return an error
// if any inputs are invalid/nil.
//
// Solidity: function delegates(address , bytes32 , address ) view returns(uint256)
func (ethereumDIDRegistry *EthereumDIDRegistry) TryPackDelegates(arg0 common.Address, arg1 [32]byte, arg2 common.Address) ([]byte, error) {
	return ethereumDIDRegistry.abi.Pack("delegates", arg0, arg1, arg2)
}

// UnpackDelegates is the Go binding that unpacks the parameters returned
// from invoking the contract method with ID 0x0d44625b.
//
// Solidity: function delegates(address , bytes32 , address ) view returns(uint256)
func (ethereumDIDRegistry *EthereumDIDRegistry) UnpackDelegates(data []byte) (*big.Int, error) {
	out, err := ethereumDIDRegistry.abi.Unpack("delegates", data)
	if err != nil {
		return new(big.Int), err
	}
	out0 := abi.ConvertType(out[0], new(big.Int)).(*big.Int)
	return out0, nil
}

// PackIdentityOwner is the Go binding used to pack the parameters required for calling
// the contract method with ID 0x8733d4e8.  This method will panic if any
// invalid/nil inputs are passed.
//
// Solidity: function identityOwner(address identity) view returns(address)
func (ethereumDIDRegistry *EthereumDIDRegistry) PackIdentityOwner(identity common.Address) []byte {
	enc, err := ethereumDIDRegistry.abi.Pack("identityOwner", identity)
	if err != nil {
		panic(err)
	}
	return enc
}

// TryPackIdentityOwner is the Go binding used to pack the parameters required for calling
// the contract method with ID 0x8733d4e8.  This method will return an error
// if any inputs are invalid/nil.
//
// Solidity: function identityOwner(address identity) view returns(address)
func (ethereumDIDRegistry *EthereumDIDRegistry) TryPackIdentityOwner(identity common.Address) ([]byte, error) {
	return ethereumDIDRegistry.abi.Pack("identityOwner", identity)
}

// UnpackIdentityOwner is the Go binding that unpacks the parameters returned
// from invoking the contract method with ID 0x8733d4e8.
//
// Solidity: function identityOwner(address identity) view returns(address)
func (ethereumDIDRegistry *EthereumDIDRegistry) UnpackIdentityOwner(data []byte) (common.Address, error) {
	out, err := ethereumDIDRegistry.abi.Unpack("identityOwner", data)
	if err != nil {
		return *new(common.Address), err
	}
	out0 := *abi.ConvertType(out[0], new(common.Address)).(*common.Address)
	return out0, nil
}

// PackNonce is the Go binding used to pack the parameters required for calling
// the contract method with ID 0x70ae92d2.  This method will panic if any
// invalid/nil inputs are passed.
//
// Solidity: function nonce(address ) view returns(uint256)
func (ethereumDIDRegistry *EthereumDIDRegistry) PackNonce(arg0 common.Address) []byte {
	enc, err := ethereumDIDRegistry.abi.Pack("nonce", arg0)
	if err != nil {
		panic(err)
	}
	return enc
}

// TryPackNonce is the Go binding used to pack the parameters required for calling
// the contract method with ID 0x70ae92d2.  This method will return an error
// if any inputs are invalid/nil.
//
// Solidity: function nonce(address ) view returns(uint256)
func (ethereumDIDRegistry *EthereumDIDRegistry) TryPackNonce(arg0 common.Address) ([]byte, error) {
	return ethereumDIDRegistry.abi.Pack("nonce", arg0)
}

// UnpackNonce is the Go binding that unpacks the parameters returned
// from invoking the contract method with ID 0x70ae92d2.
//
// Solidity: function nonce(address ) view returns(uint256)
func (ethereumDIDRegistry *EthereumDIDRegistry) UnpackNonce(data []byte) (*big.Int, error) {
	out, err := ethereumDIDRegistry.abi.Unpack("nonce", data)
	if err != nil {
		return new(big.Int), err
	}
	out0 := abi.ConvertType(out[0], new(big.Int)).(*big.Int)
	return out0, nil
}

// PackOwners is the Go binding used to pack the parameters required for calling
// the contract method with ID 0x022914a7.  This method will panic if any
// invalid/nil inputs are passed.
//
// Solidity: function owners(address ) view returns(address)
func (ethereumDIDRegistry *EthereumDIDRegistry) PackOwners(arg0 common.Address) []byte {
	enc, err := ethereumDIDRegistry.abi.Pack("owners", arg0)
	if err != nil {
		panic(err)
	}
	return enc
}

// TryPackOwners is the Go binding used to pack the parameters required for calling
// the contract method with ID 0x022914a7.  This method will return an error
// if any inputs are invalid/nil.
//
// Solidity: function owners(address ) view returns(address)
func (ethereumDIDRegistry *EthereumDIDRegistry) TryPackOwners(arg0 common.Address) ([]byte, error) {
	return ethereumDIDRegistry.abi.Pack("owners", arg0)
}

// UnpackOwners is the Go binding that unpacks the parameters returned
// from invoking the contract method with ID 0x022914a7.
//
// Solidity: function owners(address ) view returns(address)
func (ethereumDIDRegistry *EthereumDIDRegistry) UnpackOwners(data []byte) (common.Address, error) {
	out, err := ethereumDIDRegistry.abi.Unpack("owners", data)
	if err != nil {
		return *new(common.Address), err
	}
	out0 := *abi.ConvertType(out[0], new(common.Address)).(*common.Address)
	return out0, nil
}

// PackRevokeAttribute is the Go binding used to pack the parameters required for calling
// the contract method with ID 0x00c023da.  This method will panic if any
// invalid/nil inputs are passed.
//
// Solidity: function revokeAttribute(address identity, bytes32 name, bytes value) returns()
func (ethereumDIDRegistry *EthereumDIDRegistry) PackRevokeAttribute(identity common.Address, name [32]byte, value []byte) []byte {
	enc, err := ethereumDIDRegistry.abi.Pack("revokeAttribute", identity, name, value)
	if err != nil {
		panic(err)
	}
	return enc
}

// TryPackRevokeAttribute is the Go binding used to pack the parameters required for calling
// the contract method with ID 0x00c023da.  This method will return an error
// if any inputs are invalid/nil.
//
// Solidity: function revokeAttribute(address identity, bytes32 name, bytes value) returns()
func (ethereumDIDRegistry *EthereumDIDRegistry) TryPackRevokeAttribute(identity common.Address, name [32]byte, value []byte) ([]byte, error) {
	return ethereumDIDRegistry.abi.Pack("revokeAttribute", identity, name, value)
}

// PackRevokeAttributeSigned is the Go binding used to pack the parameters required for calling
// the contract method with ID 0xe476af5c.  This method will panic if any
// invalid/nil inputs are passed.
//
// Solidity: function revokeAttributeSigned(address identity, uint8 sigV, bytes32 sigR, bytes32 sigS, bytes32 name, bytes value) returns()
func (ethereumDIDRegistry *EthereumDIDRegistry) PackRevokeAttributeSigned(identity common.Address, sigV uint8, sigR [32]byte, sigS [32]byte, name [32]byte, value []byte) []byte {
	enc, err := ethereumDIDRegistry.abi.Pack("revokeAttributeSigned", identity, sigV, sigR, sigS, name, value)
	if err != nil {
		panic(err)
	}
	return enc
}

// TryPackRevokeAttributeSigned is the Go binding used to pack the parameters required for calling
// the contract method with ID 0xe476af5c.  This method will return an error
// if any inputs are invalid/nil.
//
// Solidity: function revokeAttributeSigned(address identity, uint8 sigV, bytes32 sigR, bytes32 sigS, bytes32 name, bytes value) returns()
func (ethereumDIDRegistry *EthereumDIDRegistry) TryPackRevokeAttributeSigned(identity common.Address, sigV uint8, sigR [32]byte, sigS [32]byte, name [32]byte, value []byte) ([]byte, error) {
	return ethereumDIDRegistry.abi.Pack("revokeAttributeSigned", identity, sigV, sigR, sigS, name, value)
}

// PackRevokeDelegate is the Go binding used to pack the parameters required for calling
// the contract method with ID 0x80b29f7c.  This method will panic if any
// invalid/nil inputs are passed.
//
// Solidity: function revokeDelegate(address identity, bytes32 delegateType, address delegate) returns()
func (ethereumDIDRegistry *EthereumDIDRegistry) PackRevokeDelegate(identity common.Address, delegateType [32]byte, delegate common.Address) []byte {
	enc, err := ethereumDIDRegistry.abi.Pack("revokeDelegate", identity, delegateType, delegate)
	if err != nil {
		panic(err)
	}
	return enc
}

// TryPackRevokeDelegate is the Go binding used to pack the parameters required for calling
// the contract method with ID 0x80b29f7c.  This method will return an error
// if any inputs are invalid/nil.
//
// Solidity: function revokeDelegate(address identity, bytes32 delegateType, address delegate) returns()
func (ethereumDIDRegistry *EthereumDIDRegistry) TryPackRevokeDelegate(identity common.Address, delegateType [32]byte, delegate common.Address) ([]byte, error) {
	return ethereumDIDRegistry.abi.Pack("revokeDelegate", identity, delegateType, delegate)
}

// PackRevokeDelegateSigned is the Go binding used to pack the parameters required for calling
// the contract method with ID 0x93072684.  This method will panic if any
// invalid/nil inputs are passed.
//
// Solidity: function revokeDelegateSigned(address identity, uint8 sigV, bytes32 sigR, bytes32 sigS, bytes32 delegateType, address delegate) returns()
func (ethereumDIDRegistry *EthereumDIDRegistry) PackRevokeDelegateSigned(identity common.Address, sigV uint8, sigR [32]byte, sigS [32]byte, delegateType [32]byte, delegate common.Address) []byte {
	enc, err := ethereumDIDRegistry.abi.Pack("revokeDelegateSigned", identity, sigV, sigR, sigS, delegateType, delegate)
	if err != nil {
		panic(err)
	}
	return enc
}

// TryPackRevokeDelegateSigned is the Go binding used to pack the parameters required for calling
// the contract method with ID 0x93072684.  This method will return an error
// if any inputs are invalid/nil.
//
// Solidity: function revokeDelegateSigned(address identity, uint8 sigV, bytes32 sigR, bytes32 sigS, bytes32 delegateType, address delegate) returns()
func (ethereumDIDRegistry *EthereumDIDRegistry) TryPackRevokeDelegateSigned(identity common.Address, sigV uint8, sigR [32]byte, sigS [32]byte, delegateType [32]byte, delegate common.Address) ([]byte, error) {
	return ethereumDIDRegistry.abi.Pack("revokeDelegateSigned", identity, sigV, sigR, sigS, delegateType, delegate)
}

// PackSetAttribute is the Go binding used to pack the parameters required for calling
// the contract method with ID 0x7ad4b0a4.  This method will panic if any
// invalid/nil inputs are passed.
//
// Solidity: function setAttribute(address identity, bytes32 name, bytes value, uint256 validity) returns()
func (ethereumDIDRegistry *EthereumDIDRegistry) PackSetAttribute(identity common.Address, name [32]byte, value []byte, validity *big.Int) []byte {
	enc, err := ethereumDIDRegistry.abi.Pack("setAttribute", identity, name, value, validity)
	if err != nil {
		panic(err)
	}
	return enc
}

// TryPackSetAttribute is the Go binding used to pack the parameters required for calling
// the contract method with ID 0x7ad4b0a4.  This method will return an error
// if any inputs are invalid/nil.
//
// Solidity: function setAttribute(address identity, bytes32 name, bytes value, uint256 validity) returns()
func (ethereumDIDRegistry *EthereumDIDRegistry) TryPackSetAttribute(identity common.Address, name [32]byte, value []byte, validity *big.Int) ([]byte, error) {
	return ethereumDIDRegistry.abi.Pack("setAttribute", identity, name, value, validity)
}

// PackSetAttributeSigned is the Go binding used to pack the parameters required for calling
// the contract method with ID 0x123b5e98.  This method will panic if any
// invalid/nil inputs are passed.
//
// Solidity: function setAttributeSigned(address identity, uint8 sigV, bytes32 sigR, bytes32 sigS, bytes32 name, bytes value, uint256 validity) returns()
func (ethereumDIDRegistry *EthereumDIDRegistry) PackSetAttributeSigned(identity common.Address, sigV uint8, sigR [32]byte, sigS [32]byte, name [32]byte, value []byte, validity *big.Int) []byte {
	enc, err := ethereumDIDRegistry.abi.Pack("setAttributeSigned", identity, sigV, sigR, sigS, name, value, validity)
	if err != nil {
		panic(err)
	}
	return enc
}

// TryPackSetAttributeSigned is the Go binding used to pack the parameters required for calling
// the contract method with ID 0x123b5e98.  This method will return an error
// if any inputs are invalid/nil.
//
// Solidity: function setAttributeSigned(address identity, uint8 sigV, bytes32 sigR, bytes32 sigS, bytes32 name, bytes value, uint256 validity) returns()
func (ethereumDIDRegistry *EthereumDIDRegistry) TryPackSetAttributeSigned(identity common.Address, sigV uint8, sigR [32]byte, sigS [32]byte, name [32]byte, value []byte, validity *big.Int) ([]byte, error) {
	return ethereumDIDRegistry.abi.Pack("setAttributeSigned", identity, sigV, sigR, sigS, name, value, validity)
}

// PackValidDelegate is the Go binding used to pack the parameters required for calling
// the contract method with ID 0x622b2a3c.  This method will panic if any
// invalid/nil inputs are passed.
//
// Solidity: function validDelegate(address identity, bytes32 delegateType, address delegate) view returns(bool)
func (ethereumDIDRegistry *EthereumDIDRegistry) PackValidDelegate(identity common.Address, delegateType [32]byte, delegate common.Address) []byte {
	enc, err := ethereumDIDRegistry.abi.Pack("validDelegate", identity, delegateType, delegate)
	if err != nil {
		panic(err)
	}
	return enc
}

// TryPackValidDelegate is the Go binding used to pack the parameters required for calling
// the contract method with ID 0x622b2a3c.  This method will return an error
// if any inputs are invalid/nil.
//
// Solidity: function validDelegate(address identity, bytes32 delegateType, address delegate) view returns(bool)
func (ethereumDIDRegistry *EthereumDIDRegistry) TryPackValidDelegate(identity common.Address, delegateType [32]byte, delegate common.Address) ([]byte, error) {
	return ethereumDIDRegistry.abi.Pack("validDelegate", identity, delegateType, delegate)
}

// UnpackValidDelegate is the Go binding that unpacks the parameters returned
// from invoking the contract method with ID 0x622b2a3c.
//
// Solidity: function validDelegate(address identity, bytes32 delegateType, address delegate) view returns(bool)
func (ethereumDIDRegistry *EthereumDIDRegistry) UnpackValidDelegate(data []byte) (bool, error) {
	out, err := ethereumDIDRegistry.abi.Unpack("validDelegate", data)
	if err != nil {
		return *new(bool), err
	}
	out0 := *abi.ConvertType(out[0], new(bool)).(*bool)
	return out0, nil
}

// EthereumDIDRegistryDIDAttributeChanged represents a DIDAttributeChanged event raised by the EthereumDIDRegistry contract.
type EthereumDIDRegistryDIDAttributeChanged struct {
	Identity       common.Address
	Name           [32]byte
	Value          []byte
	ValidTo        *big.Int
	PreviousChange *big.Int
	Raw            *types.Log // Blockchain specific contextual infos
}

const EthereumDIDRegistryDIDAttributeChangedEventName = "DIDAttributeChanged"

// ContractEventName returns the user-defined event name.
func (EthereumDIDRegistryDIDAttributeChanged) ContractEventName() string {
	return EthereumDIDRegistryDIDAttributeChangedEventName
}

// UnpackDIDAttributeChangedEvent is the Go binding that unpacks the event data emitted
// by contract.
//
// Solidity: event DIDAttributeChanged(address indexed identity, bytes32 name, bytes value, uint256 validTo, uint256 previousChange)
func (ethereumDIDRegistry *EthereumDIDRegistry) UnpackDIDAttributeChangedEvent(log *types.Log) (*EthereumDIDRegistryDIDAttributeChanged, error) {
	event := "DIDAttributeChanged"
	if len(log.Topics) == 0 {
		return nil, bind.ErrNoEventSignature
	}
	if log.Topics[0] != ethereumDIDRegistry.abi.Events[event].ID {
		return nil, bind.ErrEventSignatureMismatch
	}
	out := new(EthereumDIDRegistryDIDAttributeChanged)
	if len(log.Data) > 0 {
		if err := ethereumDIDRegistry.abi.UnpackIntoInterface(out, event, log.Data); err != nil {
			return nil, err
		}
	}
	var indexed abi.Arguments
	for _, arg := range ethereumDIDRegistry.abi.Events[event].Inputs {
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

// EthereumDIDRegistryDIDDelegateChanged represents a DIDDelegateChanged event raised by the EthereumDIDRegistry contract.
type EthereumDIDRegistryDIDDelegateChanged struct {
	Identity       common.Address
	DelegateType   [32]byte
	Delegate       common.Address
	ValidTo        *big.Int
	PreviousChange *big.Int
	Raw            *types.Log // Blockchain specific contextual infos
}

const EthereumDIDRegistryDIDDelegateChangedEventName = "DIDDelegateChanged"

// ContractEventName returns the user-defined event name.
func (EthereumDIDRegistryDIDDelegateChanged) ContractEventName() string {
	return EthereumDIDRegistryDIDDelegateChangedEventName
}

// UnpackDIDDelegateChangedEvent is the Go binding that unpacks the event data emitted
// by contract.
//
// Solidity: event DIDDelegateChanged(address indexed identity, bytes32 delegateType, address delegate, uint256 validTo, uint256 previousChange)
func (ethereumDIDRegistry *EthereumDIDRegistry) UnpackDIDDelegateChangedEvent(log *types.Log) (*EthereumDIDRegistryDIDDelegateChanged, error) {
	event := "DIDDelegateChanged"
	if len(log.Topics) == 0 {
		return nil, bind.ErrNoEventSignature
	}
	if log.Topics[0] != ethereumDIDRegistry.abi.Events[event].ID {
		return nil, bind.ErrEventSignatureMismatch
	}
	out := new(EthereumDIDRegistryDIDDelegateChanged)
	if len(log.Data) > 0 {
		if err := ethereumDIDRegistry.abi.UnpackIntoInterface(out, event, log.Data); err != nil {
			return nil, err
		}
	}
	var indexed abi.Arguments
	for _, arg := range ethereumDIDRegistry.abi.Events[event].Inputs {
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

// EthereumDIDRegistryDIDOwnerChanged represents a DIDOwnerChanged event raised by the EthereumDIDRegistry contract.
type EthereumDIDRegistryDIDOwnerChanged struct {
	Identity       common.Address
	Owner          common.Address
	PreviousChange *big.Int
	Raw            *types.Log // Blockchain specific contextual infos
}

const EthereumDIDRegistryDIDOwnerChangedEventName = "DIDOwnerChanged"

// ContractEventName returns the user-defined event name.
func (EthereumDIDRegistryDIDOwnerChanged) ContractEventName() string {
	return EthereumDIDRegistryDIDOwnerChangedEventName
}

// UnpackDIDOwnerChangedEvent is the Go binding that unpacks the event data emitted
// by contract.
//
// Solidity: event DIDOwnerChanged(address indexed identity, address owner, uint256 previousChange)
func (ethereumDIDRegistry *EthereumDIDRegistry) UnpackDIDOwnerChangedEvent(log *types.Log) (*EthereumDIDRegistryDIDOwnerChanged, error) {
	event := "DIDOwnerChanged"
	if len(log.Topics) == 0 {
		return nil, bind.ErrNoEventSignature
	}
	if log.Topics[0] != ethereumDIDRegistry.abi.Events[event].ID {
		return nil, bind.ErrEventSignatureMismatch
	}
	out := new(EthereumDIDRegistryDIDOwnerChanged)
	if len(log.Data) > 0 {
		if err := ethereumDIDRegistry.abi.UnpackIntoInterface(out, event, log.Data); err != nil {
			return nil, err
		}
	}
	var indexed abi.Arguments
	for _, arg := range ethereumDIDRegistry.abi.Events[event].Inputs {
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
func (ethereumDIDRegistry *EthereumDIDRegistry) UnpackError(raw []byte) (any, error) {
	if bytes.Equal(raw[:4], ethereumDIDRegistry.abi.Errors["BadSignature"].ID.Bytes()[:4]) {
		return ethereumDIDRegistry.UnpackBadSignatureError(raw[4:])
	}
	if bytes.Equal(raw[:4], ethereumDIDRegistry.abi.Errors["NotOwner"].ID.Bytes()[:4]) {
		return ethereumDIDRegistry.UnpackNotOwnerError(raw[4:])
	}
	return nil, errors.New("Unknown error")
}

// EthereumDIDRegistryBadSignature represents a BadSignature error raised by the EthereumDIDRegistry contract.
type EthereumDIDRegistryBadSignature struct {
	Identity common.Address
}

// ErrorID returns the hash of canonical representation of the error's signature.
//
// Solidity: error BadSignature(address identity)
func EthereumDIDRegistryBadSignatureErrorID() common.Hash {
	return common.HexToHash("0x9a7d38d94d3da0d5188ab778bbe9a3a38c77802b1bf2426c15740dc786da791d")
}

// UnpackBadSignatureError is the Go binding used to decode the provided
// error data into the corresponding Go error struct.
//
// Solidity: error BadSignature(address identity)
func (ethereumDIDRegistry *EthereumDIDRegistry) UnpackBadSignatureError(raw []byte) (*EthereumDIDRegistryBadSignature, error) {
	out := new(EthereumDIDRegistryBadSignature)
	if err := ethereumDIDRegistry.abi.UnpackIntoInterface(out, "BadSignature", raw); err != nil {
		return nil, err
	}
	return out, nil
}

// EthereumDIDRegistryNotOwner represents a NotOwner error raised by the EthereumDIDRegistry contract.
type EthereumDIDRegistryNotOwner struct {
	Identity common.Address
	Actor    common.Address
}

// ErrorID returns the hash of canonical representation of the error's signature.
//
// Solidity: error NotOwner(address identity, address actor)
func EthereumDIDRegistryNotOwnerErrorID() common.Hash {
	return common.HexToHash("0x23295f0e104d137d137555eb51dbe25a9e6827007f9feb6ae8bb562312e3e202")
}

// UnpackNotOwnerError is the Go binding used to decode the provided
// error data into the corresponding Go error struct.
//
// Solidity: error NotOwner(address identity, address actor)
func (ethereumDIDRegistry *EthereumDIDRegistry) UnpackNotOwnerError(raw []byte) (*EthereumDIDRegistryNotOwner, error) {
	out := new(EthereumDIDRegistryNotOwner)
	if err := ethereumDIDRegistry.abi.UnpackIntoInterface(out, "NotOwner", raw); err != nil {
		return nil, err
	}
	return out, nil
}

// SPDX-License-Identifier: Apache-2.0
// Credentialflow's own implementation of the ERC-1056 "Lightweight Identity"
// registry interface (EIP-1056). Selectors, event signatures and the digest of
// the *Signed calls match the standard so that did:ethr resolvers and wallets
// written for existing deployments work against it unchanged.
pragma solidity 0.8.37;

contract EthereumDIDRegistry {
    // owners[identity] is the controller; zero means "the identity itself"
    // (EIP-1056 §identityOwner).
    mapping(address => address) public owners;
    // delegates[identity][keccak256(abi.encode(delegateType))][delegate] is the
    // end of validity (unix seconds) of that delegate.
    mapping(address => mapping(bytes32 => mapping(address => uint256))) public delegates;
    // changed[identity] is the block number of the identity's latest event: the
    // head of the previousChange chain resolvers walk (did:ethr spec, "Enumerating
    // Contract Events").
    mapping(address => uint256) public changed;
    // nonce[owner] counts the *Signed calls an owner has authorised.
    mapping(address => uint256) public nonce;
    // Deactivation (changeOwner to 0x0) is final: did:ethr spec, "Delete".
    mapping(address => bool) private deactivatedIdentity;

    event DIDOwnerChanged(address indexed identity, address owner, uint256 previousChange);

    event DIDDelegateChanged(
        address indexed identity,
        bytes32 delegateType,
        address delegate,
        uint256 validTo,
        uint256 previousChange
    );

    event DIDAttributeChanged(
        address indexed identity,
        bytes32 name,
        bytes value,
        uint256 validTo,
        uint256 previousChange
    );

    error NotOwner(address identity, address actor);
    error BadSignature(address identity);

    // identityOwner returns the current controller of identity, or 0x0 once the
    // identity has been deactivated.
    function identityOwner(address identity) public view returns (address) {
        if (deactivatedIdentity[identity]) {
            return address(0);
        }
        address owner = owners[identity];
        if (owner != address(0)) {
            return owner;
        }
        return identity;
    }

    function validDelegate(address identity, bytes32 delegateType, address delegate) public view returns (bool) {
        return delegates[identity][keccak256(abi.encode(delegateType))][delegate] > block.timestamp;
    }

    // ---- owner -----------------------------------------------------------

    function changeOwner(address identity, address newOwner) external {
        _changeOwner(identity, msg.sender, newOwner);
    }

    function changeOwnerSigned(address identity, uint8 sigV, bytes32 sigR, bytes32 sigS, address newOwner) external {
        bytes32 digest = keccak256(
            abi.encodePacked(
                bytes1(0x19), bytes1(0), address(this), nonce[identityOwner(identity)], identity, "changeOwner", newOwner
            )
        );
        _changeOwner(identity, _signer(identity, sigV, sigR, sigS, digest), newOwner);
    }

    function _changeOwner(address identity, address actor, address newOwner) internal {
        _onlyOwner(identity, actor);
        owners[identity] = newOwner;
        if (newOwner == address(0)) {
            deactivatedIdentity[identity] = true;
        }
        emit DIDOwnerChanged(identity, newOwner, changed[identity]);
        changed[identity] = block.number;
    }

    // ---- delegates -------------------------------------------------------

    function addDelegate(address identity, bytes32 delegateType, address delegate, uint256 validity) external {
        _addDelegate(identity, msg.sender, delegateType, delegate, validity);
    }

    function addDelegateSigned(
        address identity,
        uint8 sigV,
        bytes32 sigR,
        bytes32 sigS,
        bytes32 delegateType,
        address delegate,
        uint256 validity
    ) external {
        bytes32 digest = keccak256(
            abi.encodePacked(
                bytes1(0x19),
                bytes1(0),
                address(this),
                nonce[identityOwner(identity)],
                identity,
                "addDelegate",
                delegateType,
                delegate,
                validity
            )
        );
        _addDelegate(identity, _signer(identity, sigV, sigR, sigS, digest), delegateType, delegate, validity);
    }

    function _addDelegate(address identity, address actor, bytes32 delegateType, address delegate, uint256 validity)
        internal
    {
        _onlyOwner(identity, actor);
        uint256 validTo = _until(validity);
        delegates[identity][keccak256(abi.encode(delegateType))][delegate] = validTo;
        emit DIDDelegateChanged(identity, delegateType, delegate, validTo, changed[identity]);
        changed[identity] = block.number;
    }

    function revokeDelegate(address identity, bytes32 delegateType, address delegate) external {
        _revokeDelegate(identity, msg.sender, delegateType, delegate);
    }

    function revokeDelegateSigned(
        address identity,
        uint8 sigV,
        bytes32 sigR,
        bytes32 sigS,
        bytes32 delegateType,
        address delegate
    ) external {
        bytes32 digest = keccak256(
            abi.encodePacked(
                bytes1(0x19),
                bytes1(0),
                address(this),
                nonce[identityOwner(identity)],
                identity,
                "revokeDelegate",
                delegateType,
                delegate
            )
        );
        _revokeDelegate(identity, _signer(identity, sigV, sigR, sigS, digest), delegateType, delegate);
    }

    function _revokeDelegate(address identity, address actor, bytes32 delegateType, address delegate) internal {
        _onlyOwner(identity, actor);
        delegates[identity][keccak256(abi.encode(delegateType))][delegate] = block.timestamp;
        emit DIDDelegateChanged(identity, delegateType, delegate, block.timestamp, changed[identity]);
        changed[identity] = block.number;
    }

    // ---- attributes ------------------------------------------------------

    function setAttribute(address identity, bytes32 name, bytes calldata value, uint256 validity) external {
        _setAttribute(identity, msg.sender, name, value, validity);
    }

    function setAttributeSigned(
        address identity,
        uint8 sigV,
        bytes32 sigR,
        bytes32 sigS,
        bytes32 name,
        bytes calldata value,
        uint256 validity
    ) external {
        bytes32 digest = keccak256(
            abi.encodePacked(
                bytes1(0x19),
                bytes1(0),
                address(this),
                nonce[identityOwner(identity)],
                identity,
                "setAttribute",
                name,
                value,
                validity
            )
        );
        _setAttribute(identity, _signer(identity, sigV, sigR, sigS, digest), name, value, validity);
    }

    function _setAttribute(address identity, address actor, bytes32 name, bytes calldata value, uint256 validity)
        internal
    {
        _onlyOwner(identity, actor);
        emit DIDAttributeChanged(identity, name, value, _until(validity), changed[identity]);
        changed[identity] = block.number;
    }

    function revokeAttribute(address identity, bytes32 name, bytes calldata value) external {
        _revokeAttribute(identity, msg.sender, name, value);
    }

    function revokeAttributeSigned(
        address identity,
        uint8 sigV,
        bytes32 sigR,
        bytes32 sigS,
        bytes32 name,
        bytes calldata value
    ) external {
        bytes32 digest = keccak256(
            abi.encodePacked(
                bytes1(0x19),
                bytes1(0),
                address(this),
                nonce[identityOwner(identity)],
                identity,
                "revokeAttribute",
                name,
                value
            )
        );
        _revokeAttribute(identity, _signer(identity, sigV, sigR, sigS, digest), name, value);
    }

    function _revokeAttribute(address identity, address actor, bytes32 name, bytes calldata value) internal {
        _onlyOwner(identity, actor);
        emit DIDAttributeChanged(identity, name, value, 0, changed[identity]);
        changed[identity] = block.number;
    }

    // ---- helpers ---------------------------------------------------------

    function _onlyOwner(address identity, address actor) internal view {
        // A deactivated identity has owner 0x0, which no actor can be.
        if (actor == address(0) || actor != identityOwner(identity)) {
            revert NotOwner(identity, actor);
        }
    }

    // _signer recovers the signer of a *Signed call and consumes its nonce. The
    // caller still checks that the signer owns the identity.
    function _signer(address identity, uint8 sigV, bytes32 sigR, bytes32 sigS, bytes32 digest)
        internal
        returns (address)
    {
        // Reject high-s signatures (EIP-2): one signature, one encoding.
        if (uint256(sigS) > 0x7FFFFFFFFFFFFFFFFFFFFFFFFFFFFFFF5D576E7357A4501DDFE92F46681B20A0) {
            revert BadSignature(identity);
        }
        address signer = ecrecover(digest, sigV, sigR, sigS);
        if (signer == address(0) || signer != identityOwner(identity)) {
            revert BadSignature(identity);
        }
        nonce[signer]++;
        return signer;
    }

    // _until turns a validity in seconds into an absolute time, saturating
    // instead of reverting so "forever" (type(uint256).max) is expressible.
    function _until(uint256 validity) internal view returns (uint256) {
        if (validity > type(uint256).max - block.timestamp) {
            return type(uint256).max;
        }
        return block.timestamp + validity;
    }
}

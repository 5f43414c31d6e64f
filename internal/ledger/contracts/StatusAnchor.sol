// SPDX-License-Identifier: Apache-2.0
// StatusAnchor records the SHA-256 of each published version of a status
// list credential, per writer account and per list key (keccak256 of the
// list's URL), so that every verifier reads the same "latest version" of a
// list from the chain. It has no owner, no upgrade path and no way to write
// into another account's slots: a writer can only ever move its own
// anchors forward, and every move stays visible as an event.
pragma solidity 0.8.37;

contract StatusAnchor {
    struct Record {
        bytes32 hash; // SHA-256 of the list credential bytes as served
        uint64 time; // block timestamp of the anchoring block
        uint64 blockNumber; // that block: the head of the Anchored event chain
    }

    // records[writer][key] is the writer's latest anchor of that list.
    mapping(address => mapping(bytes32 => Record)) private records;

    // One event per anchored entry. previousBlock is the block of the
    // writer's previous anchor of the same key (0: none), so a reader walks
    // a list's history with single-block log queries, newest first, as
    // did:ethr resolvers walk ERC-1056's previousChange chain.
    event Anchored(address indexed writer, bytes32 indexed key, bytes32 hash, uint64 time, uint64 previousBlock);

    error LengthMismatch(uint256 keys, uint256 hashes);

    // anchor records hashes[i] as the latest anchor of keys[i] for msg.sender.
    function anchor(bytes32[] calldata keys, bytes32[] calldata hashes) external {
        if (keys.length != hashes.length) {
            revert LengthMismatch(keys.length, hashes.length);
        }
        uint64 t = uint64(block.timestamp);
        uint64 b = uint64(block.number);
        for (uint256 i = 0; i < keys.length; i++) {
            Record storage r = records[msg.sender][keys[i]];
            emit Anchored(msg.sender, keys[i], hashes[i], t, r.blockNumber);
            r.hash = hashes[i];
            r.time = t;
            r.blockNumber = b;
        }
    }

    // latest is the writer's newest anchor of key and its block time; zero
    // hash and time when the writer never anchored it.
    function latest(address writer, bytes32 key) external view returns (bytes32 hash, uint64 time) {
        Record storage r = records[writer][key];
        return (r.hash, r.time);
    }

    // changed is the block of the writer's newest anchor of key (0: never):
    // where the Anchored event chain of that list starts.
    function changed(address writer, bytes32 key) external view returns (uint64 blockNumber) {
        return records[writer][key].blockNumber;
    }
}

// The one import a library user needs. Only the types a user handles are re-exported: the
// layers below (strata, index, codecs, backends' internals) stay out of the user's namespace.
// The module is BasinKit, not Basin, because `Basin` is the store's type: a module of the
// same name would make `Basin.open(…)` ambiguous between the module and the type.

@_exported import class BasinStore.Basin
@_exported import struct BasinStore.BasinCreateOptions
@_exported import struct BasinStore.BasinConfig
@_exported import struct BasinStore.KeyFile
@_exported import struct BasinStore.LockPolicy
@_exported import typealias BasinStore.BackendResolver
@_exported import struct BasinBackend.BasinError
@_exported import protocol BasinBackend.Backend
@_exported import struct BasinBackend.ObjectInfo
@_exported import struct BasinCore.Key
@_exported import enum BasinCore.PayloadAlgorithm
@_exported import struct BasinCore.FastCDCParameters

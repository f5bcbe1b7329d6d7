//! Names of OPC UA code values: message types, service encoding ids, status codes, enums.
//!
//! Service ids are the numeric NodeIds (namespace 0) of the `_Encoding_DefaultBinary` nodes that
//! open every UA Binary message body (OPC 10000-6 §5.2.2.15, NodeIds.csv). Unknown values are
//! kept raw by the callers; these tables only name them.

use crate::inventory::observation::Op;

/// Whether an encodeable object is a request, a response or a fault.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Request,
    Response,
    Fault,
}

/// One service message type.
#[derive(Debug, Clone, Copy)]
pub struct Service {
    /// NodeId (ns=0) of the DefaultBinary encoding.
    pub id: u32,
    pub name: &'static str,
    pub kind: Kind,
    /// For requests: the operation class and its detail name.
    pub op: Option<(Op, &'static str)>,
}

macro_rules! svc {
    ($id:expr, $name:expr, req, $op:expr, $d:expr) => {
        Service {
            id: $id,
            name: $name,
            kind: Kind::Request,
            op: Some(($op, $d)),
        }
    };
    ($id:expr, $name:expr, resp) => {
        Service {
            id: $id,
            name: $name,
            kind: Kind::Response,
            op: None,
        }
    };
}

// Encoding ids used by the dissector's logic.
pub const SERVICE_FAULT: u32 = 397;
pub const FIND_SERVERS_REQ: u32 = 422;
pub const FIND_SERVERS_RESP: u32 = 425;
pub const GET_ENDPOINTS_REQ: u32 = 428;
pub const GET_ENDPOINTS_RESP: u32 = 431;
pub const REGISTER_SERVER_REQ: u32 = 437;
pub const OPEN_SECURE_CHANNEL_REQ: u32 = 446;
pub const OPEN_SECURE_CHANNEL_RESP: u32 = 449;
pub const CLOSE_SECURE_CHANNEL_REQ: u32 = 452;
pub const CREATE_SESSION_REQ: u32 = 461;
pub const CREATE_SESSION_RESP: u32 = 464;
pub const ACTIVATE_SESSION_REQ: u32 = 467;
pub const ACTIVATE_SESSION_RESP: u32 = 470;
pub const READ_REQ: u32 = 631;
pub const READ_RESP: u32 = 634;
pub const FIND_SERVERS_ON_NETWORK_RESP: u32 = 12209;
pub const REGISTER_SERVER2_REQ: u32 = 12211;

// Identity tokens (ExtensionObject type ids of the binary encodings).
pub const ANONYMOUS_IDENTITY_TOKEN: u32 = 321;
pub const USERNAME_IDENTITY_TOKEN: u32 = 324;
pub const X509_IDENTITY_TOKEN: u32 = 327;
pub const ISSUED_IDENTITY_TOKEN: u32 = 940;

// Structures read from the Server object.
pub const BUILD_INFO_ENCODING: u32 = 340;
pub const SERVER_STATUS_ENCODING: u32 = 864;

// Nodes of Server.ServerStatus (ns=0).
pub const NODE_SERVER_STATUS: u32 = 2256;
pub const NODE_BUILD_INFO: u32 = 2260;
pub const NODE_PRODUCT_NAME: u32 = 2261;
pub const NODE_PRODUCT_URI: u32 = 2262;
pub const NODE_MANUFACTURER_NAME: u32 = 2263;
pub const NODE_SOFTWARE_VERSION: u32 = 2264;
pub const NODE_BUILD_NUMBER: u32 = 2265;
pub const NODE_BUILD_DATE: u32 = 2266;
/// AttributeId Value.
pub const ATTR_VALUE: u32 = 13;

/// Whether a node of namespace 0 carries build information worth matching a read for.
pub fn is_build_info_node(id: u32) -> bool {
    id == NODE_SERVER_STATUS || (NODE_BUILD_INFO..=NODE_BUILD_DATE).contains(&id)
}

/// Every service of OPC 10000-4 with its binary encoding id (requests carry the operation
/// class they are counted as).
pub static SERVICES: &[Service] = &[
    Service {
        id: SERVICE_FAULT,
        name: "ServiceFault",
        kind: Kind::Fault,
        op: None,
    },
    svc!(
        422,
        "FindServersRequest",
        req,
        Op::Discovery,
        "find_servers"
    ),
    svc!(425, "FindServersResponse", resp),
    svc!(
        12208,
        "FindServersOnNetworkRequest",
        req,
        Op::Discovery,
        "find_servers_on_network"
    ),
    svc!(12209, "FindServersOnNetworkResponse", resp),
    svc!(
        428,
        "GetEndpointsRequest",
        req,
        Op::Identify,
        "get_endpoints"
    ),
    svc!(431, "GetEndpointsResponse", resp),
    svc!(
        437,
        "RegisterServerRequest",
        req,
        Op::Other,
        "register_server"
    ),
    svc!(440, "RegisterServerResponse", resp),
    svc!(
        12211,
        "RegisterServer2Request",
        req,
        Op::Other,
        "register_server2"
    ),
    svc!(12212, "RegisterServer2Response", resp),
    svc!(
        446,
        "OpenSecureChannelRequest",
        req,
        Op::Connect,
        "open_secure_channel"
    ),
    svc!(449, "OpenSecureChannelResponse", resp),
    svc!(
        452,
        "CloseSecureChannelRequest",
        req,
        Op::Other,
        "close_secure_channel"
    ),
    svc!(455, "CloseSecureChannelResponse", resp),
    svc!(
        461,
        "CreateSessionRequest",
        req,
        Op::Connect,
        "create_session"
    ),
    svc!(464, "CreateSessionResponse", resp),
    svc!(
        467,
        "ActivateSessionRequest",
        req,
        Op::Login,
        "activate_session"
    ),
    svc!(470, "ActivateSessionResponse", resp),
    svc!(473, "CloseSessionRequest", req, Op::Other, "close_session"),
    svc!(476, "CloseSessionResponse", resp),
    svc!(479, "CancelRequest", req, Op::Other, "cancel"),
    svc!(482, "CancelResponse", resp),
    svc!(488, "AddNodesRequest", req, Op::ConfigChange, "add_nodes"),
    svc!(491, "AddNodesResponse", resp),
    svc!(
        494,
        "AddReferencesRequest",
        req,
        Op::ConfigChange,
        "add_references"
    ),
    svc!(497, "AddReferencesResponse", resp),
    svc!(
        500,
        "DeleteNodesRequest",
        req,
        Op::ConfigChange,
        "delete_nodes"
    ),
    svc!(503, "DeleteNodesResponse", resp),
    svc!(
        506,
        "DeleteReferencesRequest",
        req,
        Op::ConfigChange,
        "delete_references"
    ),
    svc!(509, "DeleteReferencesResponse", resp),
    svc!(527, "BrowseRequest", req, Op::Browse, "browse"),
    svc!(530, "BrowseResponse", resp),
    svc!(533, "BrowseNextRequest", req, Op::Browse, "browse_next"),
    svc!(536, "BrowseNextResponse", resp),
    svc!(
        554,
        "TranslateBrowsePathsToNodeIdsRequest",
        req,
        Op::Browse,
        "translate_browse_paths"
    ),
    svc!(557, "TranslateBrowsePathsToNodeIdsResponse", resp),
    svc!(
        560,
        "RegisterNodesRequest",
        req,
        Op::Browse,
        "register_nodes"
    ),
    svc!(563, "RegisterNodesResponse", resp),
    svc!(
        566,
        "UnregisterNodesRequest",
        req,
        Op::Browse,
        "unregister_nodes"
    ),
    svc!(569, "UnregisterNodesResponse", resp),
    svc!(615, "QueryFirstRequest", req, Op::Read, "query_first"),
    svc!(618, "QueryFirstResponse", resp),
    svc!(621, "QueryNextRequest", req, Op::Read, "query_next"),
    svc!(624, "QueryNextResponse", resp),
    svc!(631, "ReadRequest", req, Op::Read, "read"),
    svc!(634, "ReadResponse", resp),
    svc!(664, "HistoryReadRequest", req, Op::Read, "history_read"),
    svc!(667, "HistoryReadResponse", resp),
    svc!(673, "WriteRequest", req, Op::Write, "write"),
    svc!(676, "WriteResponse", resp),
    svc!(
        700,
        "HistoryUpdateRequest",
        req,
        Op::Write,
        "history_update"
    ),
    svc!(703, "HistoryUpdateResponse", resp),
    svc!(712, "CallRequest", req, Op::Call, "call"),
    svc!(715, "CallResponse", resp),
    svc!(
        751,
        "CreateMonitoredItemsRequest",
        req,
        Op::Subscribe,
        "create_monitored_items"
    ),
    svc!(754, "CreateMonitoredItemsResponse", resp),
    svc!(
        763,
        "ModifyMonitoredItemsRequest",
        req,
        Op::Subscribe,
        "modify_monitored_items"
    ),
    svc!(766, "ModifyMonitoredItemsResponse", resp),
    svc!(
        769,
        "SetMonitoringModeRequest",
        req,
        Op::Subscribe,
        "set_monitoring_mode"
    ),
    svc!(772, "SetMonitoringModeResponse", resp),
    svc!(
        775,
        "SetTriggeringRequest",
        req,
        Op::Subscribe,
        "set_triggering"
    ),
    svc!(778, "SetTriggeringResponse", resp),
    svc!(
        781,
        "DeleteMonitoredItemsRequest",
        req,
        Op::Subscribe,
        "delete_monitored_items"
    ),
    svc!(784, "DeleteMonitoredItemsResponse", resp),
    svc!(
        787,
        "CreateSubscriptionRequest",
        req,
        Op::Subscribe,
        "create_subscription"
    ),
    svc!(790, "CreateSubscriptionResponse", resp),
    svc!(
        793,
        "ModifySubscriptionRequest",
        req,
        Op::Subscribe,
        "modify_subscription"
    ),
    svc!(796, "ModifySubscriptionResponse", resp),
    svc!(
        799,
        "SetPublishingModeRequest",
        req,
        Op::Subscribe,
        "set_publishing_mode"
    ),
    svc!(802, "SetPublishingModeResponse", resp),
    svc!(826, "PublishRequest", req, Op::Subscribe, "publish"),
    svc!(829, "PublishResponse", resp),
    svc!(832, "RepublishRequest", req, Op::Subscribe, "republish"),
    svc!(835, "RepublishResponse", resp),
    svc!(
        841,
        "TransferSubscriptionsRequest",
        req,
        Op::Subscribe,
        "transfer_subscriptions"
    ),
    svc!(844, "TransferSubscriptionsResponse", resp),
    svc!(
        847,
        "DeleteSubscriptionsRequest",
        req,
        Op::Subscribe,
        "delete_subscriptions"
    ),
    svc!(850, "DeleteSubscriptionsResponse", resp),
];

/// The service whose DefaultBinary encoding has NodeId `ns=0;i=id`.
pub fn service(id: u32) -> Option<&'static Service> {
    SERVICES.iter().find(|s| s.id == id)
}

/// MessageSecurityMode (OPC 10000-4 §7.20).
pub fn security_mode(raw: u32) -> &'static str {
    match raw {
        0 => "Invalid",
        1 => "None",
        2 => "Sign",
        3 => "SignAndEncrypt",
        _ => "Unknown",
    }
}

/// UserTokenType (OPC 10000-4 §7.42).
pub fn token_type(raw: u32) -> &'static str {
    match raw {
        0 => "Anonymous",
        1 => "UserName",
        2 => "Certificate",
        3 => "IssuedToken",
        _ => "Unknown",
    }
}

/// `AuthEvent` mechanism of a UserTokenType.
pub fn token_mechanism(raw: u32) -> &'static str {
    match raw {
        0 => "opcua-anonymous",
        1 => "opcua-username",
        2 => "opcua-x509",
        3 => "opcua-issued",
        _ => "opcua-unknown-token",
    }
}

/// ApplicationType (OPC 10000-4 §7.2).
pub fn application_type(raw: u32) -> &'static str {
    match raw {
        0 => "Server",
        1 => "Client",
        2 => "ClientAndServer",
        3 => "DiscoveryServer",
        _ => "Unknown",
    }
}

/// SecurityTokenRequestType of OpenSecureChannel.
pub fn request_type(raw: u32) -> &'static str {
    match raw {
        0 => "Issue",
        1 => "Renew",
        _ => "Unknown",
    }
}

pub const POLICY_PREFIX: &str = "http://opcfoundation.org/UA/SecurityPolicy#";

/// Security policies deprecated by the OPC Foundation (SHA-1 signatures, RSA-PKCS#1 v1.5).
pub fn is_deprecated_policy(uri: &str) -> bool {
    matches!(
        uri.strip_prefix(POLICY_PREFIX),
        Some("Basic128Rsa15") | Some("Basic256")
    )
}

/// The None policy (no signature, no encryption). A null or empty URI in a token policy means
/// "the channel's policy", not None: callers decide.
pub fn is_none_policy(uri: &str) -> bool {
    uri == "http://opcfoundation.org/UA/SecurityPolicy#None"
}

/// Status codes (OPC 10000-6 StatusCode.csv), the ones seen at the transport and session level
/// and the common operation-level ones. Only the upper 16 bits name the code.
pub fn status_name(code: u32) -> Option<&'static str> {
    Some(match code & 0xffff_0000 {
        0x0000_0000 => "Good",
        0x4000_0000 => "Uncertain",
        0x8000_0000 => "Bad",
        0x8001_0000 => "BadUnexpectedError",
        0x8002_0000 => "BadInternalError",
        0x8003_0000 => "BadOutOfMemory",
        0x8004_0000 => "BadResourceUnavailable",
        0x8005_0000 => "BadCommunicationError",
        0x8006_0000 => "BadEncodingError",
        0x8007_0000 => "BadDecodingError",
        0x8008_0000 => "BadEncodingLimitsExceeded",
        0x8009_0000 => "BadUnknownResponse",
        0x800A_0000 => "BadTimeout",
        0x800B_0000 => "BadServiceUnsupported",
        0x800C_0000 => "BadShutdown",
        0x800D_0000 => "BadServerNotConnected",
        0x800E_0000 => "BadServerHalted",
        0x800F_0000 => "BadNothingToDo",
        0x8010_0000 => "BadTooManyOperations",
        0x8011_0000 => "BadDataTypeIdUnknown",
        0x8012_0000 => "BadCertificateInvalid",
        0x8013_0000 => "BadSecurityChecksFailed",
        0x8014_0000 => "BadCertificateTimeInvalid",
        0x8015_0000 => "BadCertificateIssuerTimeInvalid",
        0x8016_0000 => "BadCertificateHostNameInvalid",
        0x8017_0000 => "BadCertificateUriInvalid",
        0x8018_0000 => "BadCertificateUseNotAllowed",
        0x8019_0000 => "BadCertificateIssuerUseNotAllowed",
        0x801A_0000 => "BadCertificateUntrusted",
        0x801B_0000 => "BadCertificateRevocationUnknown",
        0x801C_0000 => "BadCertificateIssuerRevocationUnknown",
        0x801D_0000 => "BadCertificateRevoked",
        0x801E_0000 => "BadCertificateIssuerRevoked",
        0x801F_0000 => "BadUserAccessDenied",
        0x8020_0000 => "BadIdentityTokenInvalid",
        0x8021_0000 => "BadIdentityTokenRejected",
        0x8022_0000 => "BadSecureChannelIdInvalid",
        0x8023_0000 => "BadInvalidTimestamp",
        0x8024_0000 => "BadNonceInvalid",
        0x8025_0000 => "BadSessionIdInvalid",
        0x8026_0000 => "BadSessionClosed",
        0x8027_0000 => "BadSessionNotActivated",
        0x8028_0000 => "BadSubscriptionIdInvalid",
        0x802A_0000 => "BadRequestHeaderInvalid",
        0x802B_0000 => "BadTimestampsToReturnInvalid",
        0x802C_0000 => "BadRequestCancelledByClient",
        0x8033_0000 => "BadNodeIdInvalid",
        0x8034_0000 => "BadNodeIdUnknown",
        0x8035_0000 => "BadAttributeIdInvalid",
        0x803A_0000 => "BadNotReadable",
        0x803B_0000 => "BadNotWritable",
        0x803C_0000 => "BadOutOfRange",
        0x803D_0000 => "BadNotSupported",
        0x803E_0000 => "BadNotFound",
        0x8040_0000 => "BadNotImplemented",
        0x8053_0000 => "BadRequestTypeInvalid",
        0x8054_0000 => "BadSecurityModeRejected",
        0x8055_0000 => "BadSecurityPolicyRejected",
        0x8056_0000 => "BadTooManySessions",
        0x8057_0000 => "BadUserSignatureInvalid",
        0x8058_0000 => "BadApplicationSignatureInvalid",
        0x8059_0000 => "BadNoValidCertificates",
        0x8074_0000 => "BadTypeMismatch",
        0x8075_0000 => "BadMethodInvalid",
        0x8076_0000 => "BadArgumentsMissing",
        0x8077_0000 => "BadTooManySubscriptions",
        0x8078_0000 => "BadTooManyPublishRequests",
        0x8079_0000 => "BadNoSubscription",
        0x807D_0000 => "BadTcpServerTooBusy",
        0x807E_0000 => "BadTcpMessageTypeInvalid",
        0x807F_0000 => "BadTcpSecureChannelUnknown",
        0x8080_0000 => "BadTcpMessageTooLarge",
        0x8081_0000 => "BadTcpNotEnoughResources",
        0x8082_0000 => "BadTcpInternalError",
        0x8083_0000 => "BadTcpEndpointUrlInvalid",
        0x8084_0000 => "BadRequestInterrupted",
        0x8085_0000 => "BadRequestTimeout",
        0x8086_0000 => "BadSecureChannelClosed",
        0x8087_0000 => "BadSecureChannelTokenUnknown",
        0x8088_0000 => "BadSequenceNumberInvalid",
        0x80AB_0000 => "BadInvalidArgument",
        0x80AC_0000 => "BadConnectionRejected",
        0x80AD_0000 => "BadDisconnect",
        0x80AE_0000 => "BadConnectionClosed",
        0x80AF_0000 => "BadInvalidState",
        0x80B8_0000 => "BadRequestTooLarge",
        0x80B9_0000 => "BadResponseTooLarge",
        0x80BE_0000 => "BadProtocolVersionUnsupported",
        0x80E6_0000 => "BadSecurityModeInsufficient",
        0x80EE_0000 => "BadServerTooBusy",
        0x810D_0000 => "BadCertificateChainIncomplete",
        0x8114_0000 => "BadCertificatePolicyCheckFailed",
        _ => return None,
    })
}

/// `BadUserAccessDenied (0x801f0000)`, or the raw value when unnamed.
pub fn status_text(code: u32) -> String {
    match status_name(code) {
        Some(n) => format!("{n} (0x{code:08x})"),
        None => format!("0x{code:08x}"),
    }
}

/// Whether a status code is Good or Uncertain (the operation was accepted).
pub fn status_ok(code: u32) -> bool {
    code & 0x8000_0000 == 0
}

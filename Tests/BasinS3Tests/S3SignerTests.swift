import BasinS3
import Foundation
import Testing

/// SigV4 against AWS's published vectors: the aws-sig-v4-test-suite (credentials
/// AKIDEXAMPLE, service `service`, us-east-1, 2015-08-30T12:36:00Z), each with its expected
/// canonical request, string to sign and Authorization header, and the S3 documentation's
/// ranged GET example (service `s3`, with x-amz-content-sha256 and Range signed).
@Suite("S3Signer: AWS SigV4 test vectors")
struct S3SignerTests {
    struct Vector: Sendable, CustomTestStringConvertible {
        let name: String
        let method: String
        let path: String
        let query: [(String, String)]
        let headers: [(String, String)]
        let body: String
        let canonicalRequest: String
        let stringToSign: String
        let authorization: String
        var testDescription: String { name }
    }

    static let suiteCredentials = S3Credentials(
        accessKeyID: "AKIDEXAMPLE", secretAccessKey: "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY")
    /// 2015-08-30T12:36:00Z.
    static let suiteDate = Date(timeIntervalSince1970: 1_440_938_160)
    static let emptyHash = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
    static let scope = "20150830/us-east-1/service/aws4_request"

    /// Vectors of the aws-sig-v4-test-suite, copied from its `.creq`, `.sts` and `.authz` files.
    static let suite: [Vector] = [
        Vector(
            name: "get-vanilla", method: "GET", path: "/", query: [],
            headers: [("Host", "example.amazonaws.com")], body: "",
            canonicalRequest: "GET\n/\n\nhost:example.amazonaws.com\nx-amz-date:20150830T123600Z\n\nhost;x-amz-date\n\(emptyHash)",
            stringToSign: "AWS4-HMAC-SHA256\n20150830T123600Z\n\(scope)\nbb579772317eb040ac9ed261061d46c1f17a8133879d6129b6e1c25292927e63",
            authorization: "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/\(scope), SignedHeaders=host;x-amz-date, Signature=5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31"),
        Vector(
            name: "get-vanilla-query-order-key-case", method: "GET", path: "/",
            query: [("Param2", "value2"), ("Param1", "value1")],
            headers: [("Host", "example.amazonaws.com")], body: "",
            canonicalRequest: "GET\n/\nParam1=value1&Param2=value2\nhost:example.amazonaws.com\nx-amz-date:20150830T123600Z\n\nhost;x-amz-date\n\(emptyHash)",
            stringToSign: "AWS4-HMAC-SHA256\n20150830T123600Z\n\(scope)\n816cd5b414d056048ba4f7c5386d6e0533120fb1fcfa93762cf0fc39e2cf19e0",
            authorization: "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/\(scope), SignedHeaders=host;x-amz-date, Signature=b97d918cfa904a5beff61c982a1b6f458b799221646efd99d3219ec94cdf2500"),
        Vector(
            name: "get-vanilla-query-order-value", method: "GET", path: "/",
            query: [("Param1", "value2"), ("Param1", "value1")],
            headers: [("Host", "example.amazonaws.com")], body: "",
            canonicalRequest: "GET\n/\nParam1=value1&Param1=value2\nhost:example.amazonaws.com\nx-amz-date:20150830T123600Z\n\nhost;x-amz-date\n\(emptyHash)",
            stringToSign: "AWS4-HMAC-SHA256\n20150830T123600Z\n\(scope)\nc968629d70850097a2d8781c9bf7edcb988b04cac14cca9be4acc3595f884606",
            authorization: "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/\(scope), SignedHeaders=host;x-amz-date, Signature=5772eed61e12b33fae39ee5e7012498b51d56abc0abb7c60486157bd471c4694"),
        Vector(
            name: "get-unreserved", method: "GET",
            path: "/-._~0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz", query: [],
            headers: [("Host", "example.amazonaws.com")], body: "",
            canonicalRequest: "GET\n/-._~0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz\n\nhost:example.amazonaws.com\nx-amz-date:20150830T123600Z\n\nhost;x-amz-date\n\(emptyHash)",
            stringToSign: "AWS4-HMAC-SHA256\n20150830T123600Z\n\(scope)\n6a968768eefaa713e2a6b16b589a8ea192661f098f37349f4e2c0082757446f9",
            authorization: "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/\(scope), SignedHeaders=host;x-amz-date, Signature=07ef7494c76fa4850883e2b006601f940f8a34d404d0cfa977f52a65bbf5f24f"),
        Vector(
            name: "get-utf8", method: "GET", path: S3Signer.uriEncode("/\u{1234}", encodeSlash: false), query: [],
            headers: [("Host", "example.amazonaws.com")], body: "",
            canonicalRequest: "GET\n/%E1%88%B4\n\nhost:example.amazonaws.com\nx-amz-date:20150830T123600Z\n\nhost;x-amz-date\n\(emptyHash)",
            stringToSign: "AWS4-HMAC-SHA256\n20150830T123600Z\n\(scope)\n2a0a97d02205e45ce2e994789806b19270cfbbb0921b278ccf58f5249ac42102",
            authorization: "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/\(scope), SignedHeaders=host;x-amz-date, Signature=8318018e0b0f223aa2bbf98705b62bb787dc9c0e678f255a891fd03141be5d85"),
        Vector(
            name: "get-vanilla-utf8-query", method: "GET", path: "/", query: [("\u{1234}", "bar")],
            headers: [("Host", "example.amazonaws.com")], body: "",
            canonicalRequest: "GET\n/\n%E1%88%B4=bar\nhost:example.amazonaws.com\nx-amz-date:20150830T123600Z\n\nhost;x-amz-date\n\(emptyHash)",
            stringToSign: "AWS4-HMAC-SHA256\n20150830T123600Z\n\(scope)\neb30c5bed55734080471a834cc727ae56beb50e5f39d1bff6d0d38cb192a7073",
            authorization: "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/\(scope), SignedHeaders=host;x-amz-date, Signature=2cdec8eed098649ff3a119c94853b13c643bcf08f8b0a1d91e12c9027818dd04"),
        Vector(
            name: "get-header-value-trim", method: "GET", path: "/", query: [],
            headers: [("Host", "example.amazonaws.com"), ("My-Header1", " value1"), ("My-Header2", " \"a   b   c\"")], body: "",
            canonicalRequest: "GET\n/\n\nhost:example.amazonaws.com\nmy-header1:value1\nmy-header2:\"a b c\"\nx-amz-date:20150830T123600Z\n\nhost;my-header1;my-header2;x-amz-date\n\(emptyHash)",
            stringToSign: "AWS4-HMAC-SHA256\n20150830T123600Z\n\(scope)\na726db9b0df21c14f559d0a978e563112acb1b9e05476f0a6a1c7d68f28605c7",
            authorization: "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/\(scope), SignedHeaders=host;my-header1;my-header2;x-amz-date, Signature=acc3ed3afb60bb290fc8d2dd0098b9911fcaa05412b367055dee359757a9c736"),
        Vector(
            name: "get-header-key-duplicate", method: "GET", path: "/", query: [],
            headers: [("Host", "example.amazonaws.com"), ("My-Header1", "value2"), ("My-Header1", "value2"), ("My-Header1", "value1")],
            body: "",
            canonicalRequest: "GET\n/\n\nhost:example.amazonaws.com\nmy-header1:value2,value2,value1\nx-amz-date:20150830T123600Z\n\nhost;my-header1;x-amz-date\n\(emptyHash)",
            stringToSign: "AWS4-HMAC-SHA256\n20150830T123600Z\n\(scope)\ndc7f04a3abfde8d472b0ab1a418b741b7c67174dad1551b4117b15527fbe966c",
            authorization: "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/\(scope), SignedHeaders=host;my-header1;x-amz-date, Signature=c9d5ea9f3f72853aea855b47ea873832890dbdd183b4468f858259531a5138ea"),
        Vector(
            name: "post-vanilla-query", method: "POST", path: "/", query: [("Param1", "value1")],
            headers: [("Host", "example.amazonaws.com")], body: "",
            canonicalRequest: "POST\n/\nParam1=value1\nhost:example.amazonaws.com\nx-amz-date:20150830T123600Z\n\nhost;x-amz-date\n\(emptyHash)",
            stringToSign: "AWS4-HMAC-SHA256\n20150830T123600Z\n\(scope)\n9d659678c1756bb3113e2ce898845a0a79dbbc57b740555917687f1b3340fbbd",
            authorization: "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/\(scope), SignedHeaders=host;x-amz-date, Signature=28038455d6de14eafc1f9222cf5aa6f1a96197d7deb8263271d420d138af7f11"),
        Vector(
            name: "post-x-www-form-urlencoded", method: "POST", path: "/", query: [],
            headers: [("Content-Type", "application/x-www-form-urlencoded"), ("Host", "example.amazonaws.com")],
            body: "Param1=value1",
            canonicalRequest: "POST\n/\n\ncontent-type:application/x-www-form-urlencoded\nhost:example.amazonaws.com\nx-amz-date:20150830T123600Z\n\ncontent-type;host;x-amz-date\n9095672bbd1f56dfc5b65f3e153adc8731a4a654192329106275f4c7b24d0b6e",
            stringToSign: "AWS4-HMAC-SHA256\n20150830T123600Z\n\(scope)\n42a5e5bb34198acb3e84da4f085bb7927f2bc277ca766e6d19c73c2154021281",
            authorization: "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/\(scope), SignedHeaders=content-type;host;x-amz-date, Signature=ff11897932ad3f4e8b18135d722051e5ac45fc38421b1da7b9d196a0fe09473a"),
    ]

    @Test(arguments: suite)
    func testSuiteVector(_ vector: Vector) {
        let signer = S3Signer(credentials: Self.suiteCredentials, region: "us-east-1", service: "service")
        let signed = signer.sign(
            method: vector.method, path: vector.path, query: vector.query, headers: vector.headers,
            payloadHash: S3Signer.hexSHA256(Array(vector.body.utf8)), date: Self.suiteDate)
        #expect(signed.canonicalRequest == vector.canonicalRequest)
        #expect(signed.stringToSign == vector.stringToSign)
        #expect(signed.authorization == vector.authorization)
        #expect(signed.headers.contains { $0.name == "x-amz-date" && $0.value == "20150830T123600Z" })
    }

    /// The S3 documentation's example "GET Object" (first 10 bytes of test.txt in
    /// examplebucket, 2013-05-24), with its published canonical request, string to sign and
    /// signature: service `s3`, a signed Range and x-amz-content-sha256.
    @Test func s3DocumentationRangedGet() {
        let signer = S3Signer(
            credentials: S3Credentials(accessKeyID: "AKIAIOSFODNN7EXAMPLE", secretAccessKey: "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"),
            region: "us-east-1")
        let signed = signer.sign(
            method: "GET", path: "/test.txt", query: [],
            headers: [("Host", "examplebucket.s3.amazonaws.com"), ("Range", "bytes=0-9"), ("x-amz-content-sha256", Self.emptyHash)],
            payloadHash: Self.emptyHash, date: Date(timeIntervalSince1970: 1_369_353_600))
        #expect(signed.canonicalRequest == """
            GET
            /test.txt

            host:examplebucket.s3.amazonaws.com
            range:bytes=0-9
            x-amz-content-sha256:\(Self.emptyHash)
            x-amz-date:20130524T000000Z

            host;range;x-amz-content-sha256;x-amz-date
            \(Self.emptyHash)
            """)
        #expect(signed.stringToSign == """
            AWS4-HMAC-SHA256
            20130524T000000Z
            20130524/us-east-1/s3/aws4_request
            7344ae5b7ee6c3e7e6b0fe0640412a37625d1fbfff95c48bbb2dc43964946972
            """)
        #expect(signed.authorization == "AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20130524/us-east-1/s3/aws4_request, SignedHeaders=host;range;x-amz-content-sha256;x-amz-date, Signature=f0e8bdb87c964420e857bd35b5d6ed310bd44f0170aba48dd91039c6036bdb41")
    }

    @Test func sessionTokenIsSigned() {
        var credentials = Self.suiteCredentials
        credentials.sessionToken = "TOKEN"
        let signed = S3Signer(credentials: credentials, region: "us-east-1", service: "service").sign(
            method: "GET", path: "/", query: [], headers: [("Host", "example.amazonaws.com")],
            payloadHash: Self.emptyHash, date: Self.suiteDate)
        #expect(signed.headers.contains { $0.name == "x-amz-security-token" && $0.value == "TOKEN" })
        #expect(signed.authorization.contains("SignedHeaders=host;x-amz-date;x-amz-security-token,"))
        #expect(signed.canonicalRequest.contains("\nx-amz-security-token:TOKEN\n"))
    }

    @Test func uriEncoding() {
        #expect(S3Signer.uriEncode("data/3f/a b+c~.-_", encodeSlash: false) == "data/3f/a%20b%2Bc~.-_")
        #expect(S3Signer.uriEncode("a/b", encodeSlash: true) == "a%2Fb")
        #expect(S3Signer.uriEncode("é", encodeSlash: true) == "%C3%A9")
        #expect(S3Signer.canonicalQuery([("uploads", ""), ("b", "x y"), ("a", "2"), ("a", "1")]) == "a=1&a=2&b=x%20y&uploads=")
    }
}

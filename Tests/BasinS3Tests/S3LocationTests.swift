import BasinBackend
import BasinStore
import Foundation
import Testing
@testable import BasinS3

@Suite("S3Location, S3Credentials and S3XML: parsing")
struct S3LocationTests {
    @Test func restStyleLocations() throws {
        let local = try S3Location("s3:http://127.0.0.1:8333/bucket/some/prefix")
        #expect(local.scheme == "http" && local.host == "127.0.0.1" && local.port == 8333)
        #expect(local.bucket == "bucket" && local.prefix == "some/prefix")
        #expect(local.description == "s3:http://127.0.0.1:8333/bucket/some/prefix")
        #expect(local.key(for: "data/3f/x.stratum") == "some/prefix/data/3f/x.stratum")
        #expect(local.name(forKey: "some/prefix/config") == "config")
        #expect(local.name(forKey: "some/prefixed/config") == nil)
        #expect(local.url(path: local.path(key: local.key(for: "data/a b")), query: "") == "http://127.0.0.1:8333/bucket/some/prefix/data/a%20b")

        let aws = try S3Location("s3:https://s3.eu-west-1.amazonaws.com/my-bucket/")
        #expect(aws.scheme == "https" && aws.port == nil && aws.prefix.isEmpty && aws.key(for: "config") == "config")
        #expect(aws.hostHeader == "s3.eu-west-1.amazonaws.com")

        let bare = try S3Location("s3:s3.amazonaws.com/b/p")
        #expect(bare.scheme == "https" && bare.host == "s3.amazonaws.com" && bare.bucket == "b" && bare.prefix == "p")

        let v6 = try S3Location("s3:http://[::1]:9000/b")
        #expect(v6.host == "[::1]" && v6.port == 9000 && v6.hostHeader == "[::1]:9000")
    }

    @Test func virtualHostedAddressing() throws {
        let location = try S3Location("s3:https://s3.amazonaws.com/bucket/p", addressingStyle: .virtualHosted)
        #expect(location.hostHeader == "bucket.s3.amazonaws.com")
        #expect(location.url(path: location.path(key: location.key(for: "config")), query: "") == "https://bucket.s3.amazonaws.com/p/config")
        #expect(location.path(key: nil) == "/")
        let path = try S3Location("s3:http://h:80/bucket/p")
        #expect(path.hostHeader == "h" && path.path(key: nil) == "/bucket")
    }

    @Test(arguments: [
        "/srv/basin", "s3:", "s3:http://", "s3:http://host", "s3:http://host/", "s3:ftp://host/b",
        "s3:http://host:0/b", "s3:http://host:99999/b", "s3:http://host:x/b", "s3:http://host/b?x=1",
        "s3:http://host/b/../x", "s3:http://host/b/.tmp-1", "s3:http://[::1/b", "s3:http://host/b%20c",
    ])
    func malformedLocations(_ text: String) {
        #expect(throws: BasinError.self) { try S3Location(text) }
        do {
            _ = try S3Location(text)
        } catch {
            #expect(error.code == .invalidArgument && error.message.contains(text))
        }
    }

    @Test func credentialsFromEnvironmentThenFile() throws {
        let fromEnvironment = try S3Credentials.resolve(environment: [
            "AWS_ACCESS_KEY_ID": "AK", "AWS_SECRET_ACCESS_KEY": "SK", "AWS_SESSION_TOKEN": "T", "HOME": "/nonexistent",
        ])
        #expect(fromEnvironment == S3Credentials(accessKeyID: "AK", secretAccessKey: "SK", sessionToken: "T"))

        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("basin-s3-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: directory + "/.aws", withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        try Data("""
            # comment
            [default]
            aws_access_key_id = DEFAULTKEY
            aws_secret_access_key=DEFAULTSECRET

            [backup]
            aws_access_key_id = BACKUPKEY
            aws_secret_access_key = BACKUP/SECRET=
            aws_session_token = TOKEN
            [broken]
            aws_access_key_id = ONLYKEY
            """.utf8).write(to: URL(fileURLWithPath: directory + "/.aws/credentials"))
        #expect(try S3Credentials.resolve(environment: ["HOME": directory])
            == S3Credentials(accessKeyID: "DEFAULTKEY", secretAccessKey: "DEFAULTSECRET"))
        #expect(try S3Credentials.resolve(environment: ["HOME": directory, "AWS_PROFILE": "backup"])
            == S3Credentials(accessKeyID: "BACKUPKEY", secretAccessKey: "BACKUP/SECRET=", sessionToken: "TOKEN"))
        // The environment wins over the file.
        #expect(try S3Credentials.resolve(environment: ["HOME": directory, "AWS_ACCESS_KEY_ID": "E", "AWS_SECRET_ACCESS_KEY": "S"]).accessKeyID == "E")
        for profile in ["broken", "absent"] {
            do {
                _ = try S3Credentials.resolve(environment: ["HOME": directory, "AWS_PROFILE": profile])
                Issue.record("profile \(profile) should not resolve")
            } catch {
                #expect(error.code == .invalidArgument && error.message.contains("[\(profile)]") && error.message.contains("AWS_ACCESS_KEY_ID"))
            }
        }
    }

    @Test func listingXML() throws {
        let xml = """
            <?xml version="1.0" encoding="UTF-8"?>
            <ListBucketResult xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><Name>b</Name><Prefix>p/</Prefix>
            <!-- a comment --><KeyCount>2</KeyCount><MaxKeys>2</MaxKeys><EncodingType>url</EncodingType>
            <IsTruncated>true</IsTruncated><NextContinuationToken>a&amp;b&lt;c&#62;&#x41;</NextContinuationToken>
            <Contents><Key>p/data/a%20b</Key><Size>12</Size><ETag>&quot;x&quot;</ETag></Contents>
            <Contents><Key><![CDATA[p/config]]></Key><Size>3</Size><Owner id="x>y"/></Contents></ListBucketResult>
            """
        let root = try S3XML.parse(Array(xml.utf8))
        #expect(root.name == "ListBucketResult")
        #expect(root.value("NextContinuationToken") == "a&b<c>A")
        #expect(root.children("Contents").map { $0.value("Key") } == ["p/data/a%20b", "p/config"])
        #expect(root.children("Contents").first?.value("ETag") == "\"x\"")
        #expect(root.children("Contents").last?.child("Owner") != nil)
    }

    @Test(arguments: [
        "", "<", "<a>", "<a></b>", "<a>&bogus;</a>", "<a>&#xD800;</a>", "<a/><b/>", "text", "<a>x</a>trailing",
        "<a><![CDATA[x</a>", "<!-- x", "<?xml", "<a b=\"c>", "</a>", "<>x</>",
    ])
    func malformedXMLThrows(_ text: String) {
        #expect(throws: S3XML.ParseError.self) { try S3XML.parse(Array(text.utf8)) }
    }

    @Test func randomBytesNeverTrap() {
        var state: UInt64 = 42
        for length in 0..<400 {
            var bytes: [UInt8] = []
            for _ in 0..<length {
                state = state &* 6364136223846793005 &+ 1442695040888963407
                let pick = Int(state >> 59)
                let alphabet = Array("<>/!?[]-&;#x\"'aZ \n".utf8)
                bytes.append(pick < alphabet.count ? alphabet[pick] : UInt8(truncatingIfNeeded: state >> 33))
            }
            _ = try? S3XML.parse(bytes)
        }
    }
}

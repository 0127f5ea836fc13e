import FletcherCore
import Testing

/// How signals reach a waiting loop, and what the dispatcher's say (`docs/dispatch.md` §3).
@Suite("Wake-ups")
struct WakeupTests {
    private let cams = Compute(rawValue: "cams")!
    private let dbxaas = Compute(rawValue: "dbxaas")!

    @Test func signalsSentWhileNobodyWaitsAddUpForTheNextWait() async {
        let wakeup = Wakeup<DispatchScope>()
        wakeup.signal(.only([cams]))
        wakeup.signal(.only([dbxaas]))
        #expect(await wakeup.wait(upTo: .seconds(60)) == .only([cams, dbxaas]))
        wakeup.signal(.only([cams]))
        wakeup.signal(.all)
        #expect(await wakeup.wait(upTo: .seconds(60)) == .all, "one signal for every outbox covers the others")
    }

    @Test func aWaiterIsWokenWithTheSignalsScope() async {
        let wakeup = Wakeup<DispatchScope>()
        async let woken = wakeup.wait(upTo: .seconds(60))
        // The signal may come before the wait starts or after: kept or handed over, it arrives.
        wakeup.signal(.only([dbxaas]))
        #expect(await woken == .only([dbxaas]))
    }

    @Test func aWaitWithoutSignalLooksEverywhere() async {
        let wakeup = Wakeup<DispatchScope>()
        #expect(await wakeup.wait(upTo: .milliseconds(1)) == .all)
        #expect(!DispatchScope.only([cams]).includes(dbxaas) && DispatchScope.all.includes(dbxaas))
    }
}

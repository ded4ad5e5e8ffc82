import type { Delivery } from '../adapter.ts'
import type { BridgeMessage } from '../core/message.ts'
import type { DeliveryRecord, Repos } from '../store/port.ts'

/**
 * Fee accrual at settle time. It runs inside the transaction that marks the delivery done,
 * so a fee is recorded exactly when the receipt is. The fees issue fills it in; until then
 * every message is free.
 */
export interface FeeHooks {
  accrue(tx: Repos, msg: BridgeMessage, delivery: DeliveryRecord, receipt: Delivery): Promise<void>
}

export const freeOfCharge: FeeHooks = {
  accrue: async () => {},
}

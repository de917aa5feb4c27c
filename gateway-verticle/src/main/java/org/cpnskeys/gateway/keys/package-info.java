/**
 * The PN GW's decisions on Key Requests, free of MQTT: {@link org.cpnskeys.gateway.keys.GatewayKeyService} and its
 * parts (the proxy's digest exchange, the replies matched to requests, the sessions, what the instances share). It
 * reaches the world only through {@link org.cpnskeys.gateway.keys.CloudLink}, {@link org.cpnskeys.gateway.keys.PanLink}
 * and {@link org.cpnskeys.gateway.keys.GatewayScheduler}, so that unit tests drive it with fakes and a hand-moved
 * clock; {@code org.cpnskeys.gateway.GatewayVerticle} implements them over the two brokers. Nothing here imports an
 * MQTT type or builds a topic.
 */
package org.cpnskeys.gateway.keys;

// Tiny ONNX models written byte by byte (protobuf wire format), so the tests can exercise
// -ModelPath with a second model without Python or a download. Loaded with Add-Type.
using System;
using System.Collections.Generic;
using System.IO;
using System.Text;

namespace PruneCmdlets.Tests
{
    public static class TestOnnxModels
    {
        /// <summary>
        /// image [batch, 3, size, size] → GlobalAveragePool → Flatten → embedding [batch, 3]:
        /// each embedding is the per-channel mean of the preprocessed image, which a test can
        /// compute by hand. <paramref name="batch"/> null makes the batch dimension dynamic.
        /// </summary>
        public static void SaveChannelMeanModel(string path, int size, long? batch)
        {
            var graph = new List<byte>();
            graph.AddRange(Message(1, Node("GlobalAveragePool", new[] { "image" }, new[] { "pooled" })));
            graph.AddRange(Message(1, Node("Flatten", new[] { "pooled" }, new[] { "embedding" })));
            graph.AddRange(Text(2, "channel_mean"));
            graph.AddRange(Message(11, ValueInfo("image", new object[] { batch.HasValue ? (object)batch.Value : "batch", 3L, (long)size, (long)size })));
            graph.AddRange(Message(12, ValueInfo("embedding", new object[] { batch.HasValue ? (object)batch.Value : "batch", 3L })));
            File.WriteAllBytes(path, Model(graph));
        }

        /// <summary>A model whose input is a plain vector [batch, 10], not an image.</summary>
        public static void SaveVectorModel(string path)
        {
            var graph = new List<byte>();
            graph.AddRange(Message(1, Node("Relu", new[] { "x" }, new[] { "y" })));
            graph.AddRange(Text(2, "vector"));
            graph.AddRange(Message(11, ValueInfo("x", new object[] { "batch", 10L })));
            graph.AddRange(Message(12, ValueInfo("y", new object[] { "batch", 10L })));
            File.WriteAllBytes(path, Model(graph));
        }

        /// <summary>
        /// A BERT-shaped text model: input_ids, attention_mask (and token_type_ids) int64
        /// [batch, sequence] → last_hidden_state float [batch, sequence, 2] holding, for each
        /// token, (its id, its mask). Mean pooling over the real tokens then gives (mean id, 1)
        /// exactly, and any padding that leaked into the mean would lower the 1.
        /// </summary>
        public static void SaveTokenEchoModel(string path, bool tokenTypes)
        {
            var graph = new List<byte>();
            graph.AddRange(Message(1, Node("Cast", new[] { "input_ids" }, new[] { "ids_f" }, IntAttribute("to", 1), "cast_ids")));
            graph.AddRange(Message(1, Node("Cast", new[] { "attention_mask" }, new[] { "mask_f" }, IntAttribute("to", 1), "cast_mask")));
            graph.AddRange(Message(1, Node("Unsqueeze", new[] { "ids_f", "axes" }, new[] { "ids_3" }, null, "unsqueeze_ids")));
            graph.AddRange(Message(1, Node("Unsqueeze", new[] { "mask_f", "axes" }, new[] { "mask_3" }, null, "unsqueeze_mask")));
            graph.AddRange(Message(1, Node("Concat", new[] { "ids_3", "mask_3" }, new[] { "last_hidden_state" }, IntAttribute("axis", 2), "concat")));
            graph.AddRange(Text(2, "token_echo"));
            graph.AddRange(Message(5, Int64Tensor("axes", new long[] { 2 })));
            graph.AddRange(Message(11, ValueInfo("input_ids", new object[] { "batch", "sequence" }, 7)));
            graph.AddRange(Message(11, ValueInfo("attention_mask", new object[] { "batch", "sequence" }, 7)));
            if (tokenTypes) graph.AddRange(Message(11, ValueInfo("token_type_ids", new object[] { "batch", "sequence" }, 7)));
            graph.AddRange(Message(12, ValueInfo("last_hidden_state", new object[] { "batch", "sequence", 2L })));
            File.WriteAllBytes(path, Model(graph));
        }

        private static byte[] Node(string op, string[] inputs, string[] outputs, byte[] attribute, string name)
        {
            var n = new List<byte>();
            foreach (var i in inputs) n.AddRange(Text(1, i));
            foreach (var o in outputs) n.AddRange(Text(2, o));
            n.AddRange(Text(3, name));
            n.AddRange(Text(4, op));
            if (attribute != null) n.AddRange(Message(5, attribute));
            return n.ToArray();
        }

        private static byte[] IntAttribute(string name, long value)
        {
            var a = new List<byte>();
            a.AddRange(Text(1, name));
            a.AddRange(Varint(3, value));      // i
            a.AddRange(Varint(20, 2));         // type INT
            return a.ToArray();
        }

        private static byte[] Int64Tensor(string name, long[] values)
        {
            var t = new List<byte>();
            t.AddRange(Varint(1, values.Length));   // dims
            t.AddRange(Varint(2, 7));               // data_type INT64
            foreach (var v in values) t.AddRange(Varint(7, v));   // int64_data
            t.AddRange(Text(8, name));
            return t.ToArray();
        }

        private static byte[] Model(List<byte> graph)
        {
            var model = new List<byte>();
            model.AddRange(Varint(1, 8));                       // ir_version 8
            model.AddRange(Text(2, "PruneCmdlets tests"));      // producer_name
            model.AddRange(Message(7, graph.ToArray()));        // graph
            var opset = new List<byte>();
            opset.AddRange(Text(1, ""));
            opset.AddRange(Varint(2, 13));
            model.AddRange(Message(8, opset.ToArray()));        // opset_import: default domain, opset 13
            return model.ToArray();
        }

        private static byte[] Node(string op, string[] inputs, string[] outputs)
        {
            var n = new List<byte>();
            foreach (var i in inputs) n.AddRange(Text(1, i));
            foreach (var o in outputs) n.AddRange(Text(2, o));
            n.AddRange(Text(3, op + "_node"));
            n.AddRange(Text(4, op));
            return n.ToArray();
        }

        private static byte[] ValueInfo(string name, object[] dims, int elemType = 1)
        {
            var shape = new List<byte>();
            foreach (var d in dims)
                shape.AddRange(Message(1, d is string p ? Text(2, p) : Varint(1, (long)d)));
            var tensor = new List<byte>();
            tensor.AddRange(Varint(1, elemType));               // elem_type (1 FLOAT, 7 INT64)
            tensor.AddRange(Message(2, shape.ToArray()));
            var v = new List<byte>();
            v.AddRange(Text(1, name));
            v.AddRange(Message(2, Message(1, tensor.ToArray())));
            return v.ToArray();
        }

        private static byte[] Varint(int field, long value)
        {
            var b = new List<byte>();
            b.AddRange(RawVarint(((ulong)field << 3) | 0));
            b.AddRange(RawVarint((ulong)value));
            return b.ToArray();
        }

        private static byte[] Text(int field, string s) => Message(field, Encoding.UTF8.GetBytes(s));

        private static byte[] Message(int field, byte[] body)
        {
            var b = new List<byte>();
            b.AddRange(RawVarint(((ulong)field << 3) | 2));
            b.AddRange(RawVarint((ulong)body.Length));
            b.AddRange(body);
            return b.ToArray();
        }

        private static IEnumerable<byte> RawVarint(ulong v)
        {
            do
            {
                byte b = (byte)(v & 0x7F);
                v >>= 7;
                if (v != 0) b |= 0x80;
                yield return b;
            } while (v != 0);
        }
    }
}

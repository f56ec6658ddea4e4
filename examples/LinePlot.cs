// A small line chart drawn pixel by pixel with ImageSharp (ImageSharp.Drawing is not available
// everywhere): panels of series, axes with tick marks, and a 5×7 bitmap font for digits and the
// few letters the labels need. Used by examples/paper-fashion-mnist.ps1 through Add-Type.
using System;
using System.Collections.Generic;
using SixLabors.ImageSharp;
using SixLabors.ImageSharp.PixelFormats;

namespace PruneCmdlets.Examples
{
    public sealed class Series
    {
        public string Name = "";
        public double[] X = Array.Empty<double>();
        public double[] Y = Array.Empty<double>();
        public byte R, G, B;
    }

    public static class LinePlot
    {
        private const int PanelW = 300, PanelH = 220, Margin = 40, Top = 30;

        /// <summary>Panels side by side, one per title, sharing the y range; a legend below.</summary>
        public static void Save(string path, string[] titles, Series[][] panels, double yMin, double yMax, double xMin, double xMax)
        {
            int width = panels.Length * (PanelW + Margin) + Margin, height = Top + PanelH + 70;
            using var img = new Image<Rgb24>(width, height, new Rgb24(255, 255, 255));
            for (int p = 0; p < panels.Length; p++)
            {
                int x0 = Margin + p * (PanelW + Margin), y0 = Top;
                Text(img, titles[p], x0, 8, new Rgb24(0, 0, 0));
                Rect(img, x0, y0, PanelW, PanelH, new Rgb24(120, 120, 120));
                for (int t = 0; t <= 4; t++)
                {
                    double yv = yMin + (yMax - yMin) * t / 4;
                    int yy = y0 + PanelH - (int)Math.Round(PanelH * (yv - yMin) / (yMax - yMin));
                    HLine(img, x0, x0 + PanelW, yy, new Rgb24(230, 230, 230));
                    if (p == 0) Text(img, (yv * 100).ToString("0"), 4, yy - 3, new Rgb24(0, 0, 0));
                }
                for (double xv = xMin; xv <= xMax + 1e-9; xv += 0.2)
                {
                    int xx = x0 + (int)Math.Round(PanelW * (xv - xMin) / (xMax - xMin));
                    Text(img, xv.ToString("0.0"), xx - 8, y0 + PanelH + 6, new Rgb24(0, 0, 0));
                }
                foreach (var s in panels[p])
                {
                    var c = new Rgb24(s.R, s.G, s.B);
                    for (int i = 0; i + 1 < s.X.Length; i++)
                        Line(img, Px(s.X[i]), Py(s.Y[i]), Px(s.X[i + 1]), Py(s.Y[i + 1]), c);
                    for (int i = 0; i < s.X.Length; i++) Dot(img, Px(s.X[i]), Py(s.Y[i]), c);
                }

                int Px(double x) => x0 + (int)Math.Round(PanelW * (x - xMin) / (xMax - xMin));
                int Py(double y) => y0 + PanelH - (int)Math.Round(PanelH * (Math.Clamp(y, yMin, yMax) - yMin) / (yMax - yMin));
            }
            int lx = Margin, ly = Top + PanelH + 30;
            foreach (var s in panels[0])
            {
                var c = new Rgb24(s.R, s.G, s.B);
                for (int dy = 0; dy < 7; dy++) HLine(img, lx, lx + 14, ly + dy, c);
                Text(img, s.Name, lx + 20, ly, new Rgb24(0, 0, 0));
                lx += 30 + 6 * s.Name.Length;
            }
            img.SaveAsPng(path);
        }

        private static void Set(Image<Rgb24> img, int x, int y, Rgb24 c)
        {
            if (x >= 0 && y >= 0 && x < img.Width && y < img.Height) img[x, y] = c;
        }

        private static void HLine(Image<Rgb24> img, int x0, int x1, int y, Rgb24 c) { for (int x = x0; x <= x1; x++) Set(img, x, y, c); }

        private static void Rect(Image<Rgb24> img, int x, int y, int w, int h, Rgb24 c)
        {
            HLine(img, x, x + w, y, c); HLine(img, x, x + w, y + h, c);
            for (int yy = y; yy <= y + h; yy++) { Set(img, x, yy, c); Set(img, x + w, yy, c); }
        }

        private static void Dot(Image<Rgb24> img, int x, int y, Rgb24 c)
        {
            for (int dx = -2; dx <= 2; dx++) for (int dy = -2; dy <= 2; dy++) if (dx * dx + dy * dy <= 5) Set(img, x + dx, y + dy, c);
        }

        // Bresenham, two pixels thick.
        private static void Line(Image<Rgb24> img, int x0, int y0, int x1, int y1, Rgb24 c)
        {
            int dx = Math.Abs(x1 - x0), sx = x0 < x1 ? 1 : -1, dy = -Math.Abs(y1 - y0), sy = y0 < y1 ? 1 : -1, err = dx + dy;
            while (true)
            {
                Set(img, x0, y0, c); Set(img, x0, y0 + 1, c);
                if (x0 == x1 && y0 == y1) break;
                int e2 = 2 * err;
                if (e2 >= dy) { err += dy; x0 += sx; }
                if (e2 <= dx) { err += dx; y0 += sy; }
            }
        }

        private static readonly Dictionary<char, string[]> Glyphs = BuildGlyphs();

        private static void Text(Image<Rgb24> img, string s, int x, int y, Rgb24 c)
        {
            foreach (char ch in s.ToUpperInvariant())
            {
                if (Glyphs.TryGetValue(ch, out var g))
                    for (int r = 0; r < 7; r++)
                        for (int col = 0; col < 5; col++)
                            if (g[r][col] == '#') Set(img, x + col, y + r, c);
                x += 6;
            }
        }

        private static Dictionary<char, string[]> BuildGlyphs()
        {
            var g = new Dictionary<char, string[]>();
            void Add(char c, params string[] rows) => g[c] = rows;
            Add('0', " ### ", "#   #", "#  ##", "# # #", "##  #", "#   #", " ### ");
            Add('1', "  #  ", " ##  ", "  #  ", "  #  ", "  #  ", "  #  ", " ### ");
            Add('2', " ### ", "#   #", "    #", "   # ", "  #  ", " #   ", "#####");
            Add('3', "#####", "   # ", "  #  ", "   # ", "    #", "#   #", " ### ");
            Add('4', "   # ", "  ## ", " # # ", "#  # ", "#####", "   # ", "   # ");
            Add('5', "#####", "#    ", "#### ", "    #", "    #", "#   #", " ### ");
            Add('6', "  ## ", " #   ", "#    ", "#### ", "#   #", "#   #", " ### ");
            Add('7', "#####", "    #", "   # ", "  #  ", " #   ", " #   ", " #   ");
            Add('8', " ### ", "#   #", "#   #", " ### ", "#   #", "#   #", " ### ");
            Add('9', " ### ", "#   #", "#   #", " ####", "    #", "   # ", " ##  ");
            Add('.', "     ", "     ", "     ", "     ", "     ", " ##  ", " ##  ");
            Add('=', "     ", "     ", "#####", "     ", "#####", "     ", "     ");
            Add('-', "     ", "     ", "     ", "#####", "     ", "     ", "     ");
            Add(' ', "     ", "     ", "     ", "     ", "     ", "     ", "     ");
            Add('%', "##   ", "##  #", "   # ", "  #  ", " #   ", "#  ##", "   ##");
            Add('K', "#   #", "#  # ", "# #  ", "##   ", "# #  ", "#  # ", "#   #");
            Add('N', "#   #", "##  #", "# # #", "#  ##", "#   #", "#   #", "#   #");
            Add('H', "#   #", "#   #", "#   #", "#####", "#   #", "#   #", "#   #");
            Add('A', " ### ", "#   #", "#   #", "#####", "#   #", "#   #", "#   #");
            Add('R', "#### ", "#   #", "#   #", "#### ", "# #  ", "#  # ", "#   #");
            Add('D', "#### ", "#   #", "#   #", "#   #", "#   #", "#   #", "#### ");
            Add('E', "#####", "#    ", "#    ", "#### ", "#    ", "#    ", "#####");
            Add('S', " ####", "#    ", "#    ", " ### ", "    #", "    #", "#### ");
            Add('Y', "#   #", "#   #", " # # ", "  #  ", "  #  ", "  #  ", "  #  ");
            Add('O', " ### ", "#   #", "#   #", "#   #", "#   #", "#   #", " ### ");
            Add('M', "#   #", "## ##", "# # #", "# # #", "#   #", "#   #", "#   #");
            Add('B', "#### ", "#   #", "#   #", "#### ", "#   #", "#   #", "#### ");
            Add('L', "#    ", "#    ", "#    ", "#    ", "#    ", "#    ", "#####");
            Add('C', " ####", "#    ", "#    ", "#    ", "#    ", "#    ", " ####");
            Add('U', "#   #", "#   #", "#   #", "#   #", "#   #", "#   #", " ### ");
            Add('T', "#####", "  #  ", "  #  ", "  #  ", "  #  ", "  #  ", "  #  ");
            Add('I', " ### ", "  #  ", "  #  ", "  #  ", "  #  ", "  #  ", " ### ");
            Add('P', "#### ", "#   #", "#   #", "#### ", "#    ", "#    ", "#    ");
            Add('F', "#####", "#    ", "#    ", "#### ", "#    ", "#    ", "#    ");
            Add('G', " ####", "#    ", "#    ", "#  ##", "#   #", "#   #", " ####");
            Add('V', "#   #", "#   #", "#   #", "#   #", "#   #", " # # ", "  #  ");
            Add('W', "#   #", "#   #", "#   #", "# # #", "# # #", "## ##", "#   #");
            Add('X', "#   #", "#   #", " # # ", "  #  ", " # # ", "#   #", "#   #");
            Add('(', "   # ", "  #  ", " #   ", " #   ", " #   ", "  #  ", "   # ");
            Add(')', " #   ", "  #  ", "   # ", "   # ", "   # ", "  #  ", " #   ");
            Add('/', "    #", "   # ", "   # ", "  #  ", " #   ", " #   ", "#    ");
            Add('+', "     ", "  #  ", "  #  ", "#####", "  #  ", "  #  ", "     ");
            Add(',', "     ", "     ", "     ", "     ", " ##  ", "  #  ", " #   ");
            return g;
        }
    }
}
